"""A synthetic population of newcomers registered at several Brussels organisations.

SYNTHETIC DATA ONLY: every person is made up from the name lists below (common given and
family names per origin, as found in public name-frequency lists) and random dates; no real
person's data is used or reproduced. The generator exists to test and benchmark linkage.

Each person gets 1 to 4 records as if registered at different organisations (Actiris, a
CPAS, a BAPA, an NGO). Records differ the way real registrations do, at rates set in
`ErrorRates`: transliteration variants (Mohammed/Mouhamed/Maxamed, Abd al-Rahman/Abdelrahman,
Al-Hassan/El Hassan/Hassan, Ghebre/Gebre), patronymic names cut differently between the
given-name and family-name fields, given and family names swapped, capitals, birth dates
missing or replaced by 1 January, day and month swapped, typos, another postcode or phone.
About a quarter of people live in a household with relatives who share the family name,
postcode and phone, which is what makes precision hard. `person_id` is the ground truth.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass

import polars as pl

from .names import variant_table

_M, _F = "m", "f"
_ARABIC_GIVEN_M = [
    "Mohammed",
    "Ahmad",
    "Ali",
    "Omar",
    "Khaled",
    "Hassan",
    "Hussein",
    "Mahmoud",
    "Mustafa",
    "Youssef",
    "Ibrahim",
    "Abdulrahman",
    "Abdullah",
    "Bilal",
    "Rami",
    "Samer",
    "Firas",
    "Tarek",
    "Walid",
    "Nabil",
    "Yaser",
    "Hamza",
    "Amjad",
    "Ziad",
    "Saeed",
    "Osman",
    "Qasim",
    "Jafar",
    "Suleiman",
    "Yasin",
    "Karim",
    "Anas",
    "Majd",
    "Fadi",
    "Hadi",
    "Basel",
    "Ayham",
    "Mohannad",
    "Abdulkadir",
]
_ARABIC_GIVEN_F = [
    "Fatima",
    "Aisha",
    "Maryam",
    "Noor",
    "Rana",
    "Hiba",
    "Lina",
    "Rasha",
    "Dima",
    "Yasmin",
    "Zeinab",
    "Huda",
    "Amal",
    "Reem",
    "Sara",
    "Khadija",
    "Asmaa",
    "Batoul",
    "Ghada",
    "Hanan",
    "Iman",
    "Layla",
    "Manar",
    "Nour",
    "Rawan",
    "Safaa",
    "Shahd",
    "Wafaa",
]
_SYRIAN_FAMILY = [
    "Al-Hassan",
    "Al-Ahmad",
    "Al-Khatib",
    "Haddad",
    "Al-Halabi",
    "Al-Masri",
    "Shami",
    "Al-Zoubi",
    "Al-Hamwi",
    "Kurdi",
    "Hamdan",
    "Khalil",
    "Nasser",
    "Saleh",
    "Al-Rifai",
    "Al-Hariri",
    "Darwish",
    "Qassem",
    "Sabbagh",
    "Al-Homsi",
    "Al-Shami",
    "Al-Ali",
    "Al-Mohammed",
    "Najjar",
    "Kassab",
    "Othman",
    "Al-Hussein",
    "Abdulkadir",
    "Al-Dakhil",
    "Mansour",
]
_IRAQI_FAMILY = [
    "Al-Obaidi",
    "Al-Jubouri",
    "Al-Tamimi",
    "Al-Dulaimi",
    "Al-Saadi",
    "Al-Rubaie",
    "Al-Shammari",
    "Al-Bayati",
    "Al-Janabi",
    "Al-Zubaidi",
    "Al-Maliki",
    "Al-Khafaji",
    "Al-Amiri",
    "Al-Kubaisi",
    "Al-Hashimi",
    "Al-Azzawi",
]
_AFGHAN_GIVEN_M = [
    "Mohammad",
    "Ahmad",
    "Abdul-Wahid",
    "Hamidullah",
    "Ghulam",
    "Noorullah",
    "Farid",
    "Javid",
    "Mirwais",
    "Zabihullah",
    "Sayed",
    "Rahmatullah",
    "Najibullah",
    "Khalid",
    "Bashir",
    "Jawad",
    "Mujtaba",
    "Sohail",
    "Ehsan",
    "Qadir",
    "Wahidullah",
    "Shafiq",
    "Nasir",
    "Habibullah",
    "Abdul-Ghafoor",
    "Sharif",
    "Yama",
    "Rohullah",
    "Baryalai",
    "Mansoor",
]
_AFGHAN_GIVEN_F = [
    "Fatima",
    "Maryam",
    "Zahra",
    "Nazanin",
    "Shabnam",
    "Farzana",
    "Parwana",
    "Marzia",
    "Zarghona",
    "Gulalai",
    "Mahbooba",
    "Freshta",
    "Sima",
    "Laila",
    "Nargis",
    "Roya",
    "Soraya",
    "Hosai",
    "Mursal",
    "Tahmina",
]
_AFGHAN_FAMILY = [
    "Ahmadi",
    "Rahimi",
    "Karimi",
    "Hakimi",
    "Mohammadi",
    "Sultani",
    "Noorzai",
    "Popal",
    "Stanekzai",
    "Wardak",
    "Hotak",
    "Safi",
    "Amiri",
    "Haidari",
    "Sadat",
    "Hussaini",
    "Azizi",
    "Nazari",
    "Jalali",
    "Rezaei",
    "Sharifi",
    "Qaderi",
    "Habibi",
    "Yousufzai",
    "Mohseni",
    "Hashimi",
    "Nawabi",
    "Samadi",
    "Faizi",
    "Alokozai",
]
_ERITREAN_GIVEN_M = [
    "Yohannes",
    "Tesfay",
    "Mehari",
    "Berhane",
    "Filmon",
    "Semere",
    "Dawit",
    "Amanuel",
    "Kidane",
    "Ghebremedhin",
    "Tekle",
    "Haile",
    "Measho",
    "Goitom",
    "Habtom",
    "Robel",
    "Yonas",
    "Senai",
    "Biniam",
    "Merhawi",
    "Tsegay",
    "Kibrom",
    "Henok",
    "Mulugeta",
    "Negasi",
    "Teklit",
    "Afewerki",
    "Zeray",
    "Michael",
    "Abraham",
]
_ERITREAN_GIVEN_F = [
    "Helen",
    "Selam",
    "Senait",
    "Mebrat",
    "Saba",
    "Hiwet",
    "Luwam",
    "Tsega",
    "Rahel",
    "Feven",
    "Yordanos",
    "Mihret",
    "Ruth",
    "Winta",
    "Eden",
    "Azieb",
    "Letensae",
    "Tirhas",
    "Freweyni",
    "Mizan",
]
_ERITREAN_FATHER = [
    "Ghebremariam",
    "Weldemichael",
    "Tekleab",
    "Haileselassie",
    "Tesfamariam",
    "Woldegiorgis",
    "Ghebrehiwet",
    "Berhe",
    "Kahsay",
    "Asmerom",
    "Tewelde",
    "Ghirmay",
    "Andemariam",
    "Habte",
    "Okbazghi",
    "Sium",
    "Zerai",
    "Teweldebrhan",
    "Mesfin",
    "Gebreyesus",
    "Weldu",
    "Tsegai",
    "Kidane",
    "Tesfay",
    "Yohannes",
    "Haile",
    "Mehari",
    "Tekle",
    "Berhane",
    "Negash",
]
_SOMALI_GIVEN_M = [
    "Mohamed",
    "Abdi",
    "Abdirahman",
    "Ahmed",
    "Ali",
    "Hassan",
    "Hussein",
    "Omar",
    "Ismail",
    "Yusuf",
    "Abdullahi",
    "Abdikadir",
    "Farah",
    "Osman",
    "Mahad",
    "Liban",
    "Guled",
    "Bashir",
    "Abdiaziz",
    "Said",
    "Mustafa",
    "Jama",
    "Warsame",
    "Aden",
    "Hirsi",
    "Nur",
]
_SOMALI_GIVEN_F = [
    "Fadumo",
    "Hodan",
    "Amina",
    "Ayaan",
    "Hawa",
    "Khadija",
    "Sahra",
    "Nimco",
    "Ifrah",
    "Deeqa",
    "Ubah",
    "Sagal",
    "Asli",
    "Hibo",
    "Maryan",
    "Halima",
    "Ladan",
    "Sucaad",
    "Caasha",
    "Faiza",
]
_GUINEAN_GIVEN_M = [
    "Mamadou",
    "Ibrahima",
    "Alpha",
    "Abdoulaye",
    "Ousmane",
    "Thierno",
    "Amadou",
    "Sekou",
    "Mohamed",
    "Alhassane",
    "Boubacar",
    "Saliou",
    "Lansana",
    "Moussa",
    "Souleymane",
    "Aboubacar",
    "Oumar",
    "Cellou",
    "Elhadj",
    "Mamady",
]
_GUINEAN_GIVEN_F = [
    "Mariama",
    "Fatoumata",
    "Aissatou",
    "Kadiatou",
    "Hadja",
    "Aminata",
    "Djenabou",
    "Hawa",
    "Ramatoulaye",
    "Mabinty",
    "Oumou",
    "Nene",
    "Binta",
    "Hassanatou",
    "Fanta",
    "Sira",
]
_GUINEAN_FAMILY = [
    "Diallo",
    "Barry",
    "Bah",
    "Sow",
    "Camara",
    "Conde",
    "Keita",
    "Toure",
    "Sylla",
    "Soumah",
    "Balde",
    "Cisse",
    "Kouyate",
    "Doumbouya",
    "Kaba",
    "Kourouma",
    "Sangare",
    "Fofana",
    "Keira",
    "Bangoura",
    "Jalloh",
    "Traore",
]
_CONGOLESE_GIVEN_M = [
    "Jean",
    "Patrick",
    "Christian",
    "Joseph",
    "Didier",
    "Fiston",
    "Junior",
    "Serge",
    "Guylain",
    "Tresor",
    "Heritier",
    "Cedric",
    "Blaise",
    "Jonathan",
    "Glody",
    "Exauce",
    "Prince",
    "Rodrigue",
    "Aime",
    "Benjamin",
]
_CONGOLESE_GIVEN_F = [
    "Christelle",
    "Grace",
    "Nadege",
    "Merveille",
    "Ornella",
    "Divine",
    "Beatrice",
    "Chancelvie",
    "Gloria",
    "Sandrine",
    "Esther",
    "Rebecca",
    "Nathalie",
    "Jolie",
    "Naomie",
    "Dorcas",
]
_CONGOLESE_FAMILY = [
    "Mukendi",
    "Kabila",
    "Tshibangu",
    "Kalala",
    "Mbuyi",
    "Ilunga",
    "Kasongo",
    "Lukusa",
    "Nkulu",
    "Mulumba",
    "Kabongo",
    "Mutombo",
    "Nsimba",
    "Lusamba",
    "Mbala",
    "Kalonji",
    "Tshisekedi",
    "Ngoy",
    "Mwamba",
    "Kabeya",
    "Lumbala",
    "Makiese",
    "Nzuzi",
    "Bokanga",
    "Lokuli",
    "Bolamba",
    "Mpiana",
    "Kanku",
    "Masudi",
    "Banza",
]
_MOROCCAN_GIVEN_M = [
    "Mohamed",
    "Youssef",
    "Said",
    "Rachid",
    "Abdelkader",
    "Karim",
    "Hamid",
    "Mustapha",
    "Abdelaziz",
    "Mehdi",
    "Anouar",
    "Hicham",
    "Bilal",
    "Ilias",
    "Ayoub",
    "Abdellah",
    "Driss",
    "Omar",
    "Khalid",
    "Nordin",
    "Soufiane",
    "Redouane",
    "Zakaria",
    "Adil",
]
_MOROCCAN_GIVEN_F = [
    "Fatima",
    "Khadija",
    "Nadia",
    "Samira",
    "Malika",
    "Latifa",
    "Naima",
    "Houda",
    "Imane",
    "Soukaina",
    "Salma",
    "Hafsa",
    "Meryem",
    "Loubna",
    "Siham",
    "Najat",
    "Zineb",
    "Hajar",
    "Ikram",
    "Sanae",
]
_MOROCCAN_FAMILY = [
    "El-Amrani",
    "Benali",
    "El-Idrissi",
    "Bouzid",
    "Azzouzi",
    "Essaidi",
    "Ennaciri",
    "Boukhari",
    "El-Ouardi",
    "Tahiri",
    "Chaoui",
    "Belhaj",
    "El-Khattabi",
    "Ait-Ali",
    "Ouahbi",
    "El-Ouali",
    "Bakkali",
    "Lahlou",
    "Benjelloun",
    "Ziani",
    "Chakir",
    "Haddouchi",
    "El-Fassi",
    "Mernissi",
    "Boutaleb",
    "Amrani",
    "Tazi",
    "El-Mansouri",
    "Ouazzani",
    "Kaddouri",
]
_BELGIAN_GIVEN_M = [
    "Jan",
    "Pieter",
    "Luc",
    "Marc",
    "Thomas",
    "Nicolas",
    "Louis",
    "Arthur",
    "Lucas",
    "Wim",
    "Bart",
    "Koen",
    "Olivier",
    "Julien",
    "Maxime",
    "Antoine",
    "Kevin",
    "Stijn",
    "Tom",
    "Philippe",
]
_BELGIAN_GIVEN_F = [
    "Julie",
    "Sarah",
    "Marie",
    "Sophie",
    "Lotte",
    "Emma",
    "Laura",
    "Charlotte",
    "Elise",
    "Camille",
    "Lisa",
    "Ann",
    "Els",
    "Nathalie",
    "Isabelle",
    "Valerie",
    "Anke",
    "Lien",
    "Manon",
    "Chloe",
]
_BELGIAN_FAMILY = [
    "Peeters",
    "Janssens",
    "Maes",
    "Jacobs",
    "Mertens",
    "Willems",
    "Claes",
    "Goossens",
    "Wouters",
    "De-Smet",
    "Dubois",
    "Lambert",
    "Dupont",
    "Martin",
    "Leroy",
    "Simon",
    "Vermeulen",
    "Van-den-Bossche",
    "Desmet",
    "Hermans",
    "Lemaire",
    "Renard",
    "Michiels",
    "Declercq",
    "Aerts",
    "Laurent",
    "Francois",
    "Dumont",
    "Verstraeten",
    "Van-Damme",
]
_UKRAINIAN_GIVEN_M = [
    "Oleksandr",
    "Andriy",
    "Dmytro",
    "Serhiy",
    "Volodymyr",
    "Mykola",
    "Yuriy",
    "Ivan",
    "Taras",
    "Bohdan",
    "Vitaliy",
    "Oleh",
]
_UKRAINIAN_GIVEN_F = [
    "Olena",
    "Iryna",
    "Tetiana",
    "Natalia",
    "Oksana",
    "Yulia",
    "Kateryna",
    "Svitlana",
    "Mariia",
    "Anastasiia",
    "Viktoriia",
]
_UKRAINIAN_FAMILY = [
    "Shevchenko",
    "Kovalenko",
    "Bondarenko",
    "Tkachenko",
    "Kravchenko",
    "Oliynyk",
    "Melnyk",
    "Boyko",
    "Koval",
    "Polishchuk",
    "Lysenko",
    "Moroz",
    "Marchenko",
    "Savchenko",
    "Rudenko",
    "Pavlenko",
    "Petrenko",
    "Klymenko",
]


@dataclass(frozen=True)
class Origin:
    name: str
    weight: float  # share among the synthetic newcomers (illustrative, see docs/linkage.md)
    given_m: tuple[str, ...]
    given_f: tuple[str, ...]
    family: tuple[str, ...]  # empty: patronymic names (father's and grandfather's names)
    fathers: tuple[str, ...] = ()
    arabic_script: bool = False
    somali: bool = False
    person_placeholder_date: float = 0.05  # documents carry 1 January for the whole person


ORIGINS: tuple[Origin, ...] = (
    Origin(
        "Syria",
        0.13,
        (*_ARABIC_GIVEN_M,),
        (*_ARABIC_GIVEN_F,),
        (*_SYRIAN_FAMILY,),
        arabic_script=True,
        person_placeholder_date=0.1,
    ),
    Origin(
        "Afghanistan",
        0.13,
        (*_AFGHAN_GIVEN_M,),
        (*_AFGHAN_GIVEN_F,),
        (*_AFGHAN_FAMILY,),
        arabic_script=True,
        person_placeholder_date=0.35,
    ),
    Origin(
        "Eritrea",
        0.10,
        (*_ERITREAN_GIVEN_M,),
        (*_ERITREAN_GIVEN_F,),
        (),
        (*_ERITREAN_FATHER,),
        person_placeholder_date=0.2,
    ),
    Origin(
        "Somalia",
        0.06,
        (*_SOMALI_GIVEN_M,),
        (*_SOMALI_GIVEN_F,),
        (),
        (*_SOMALI_GIVEN_M,),
        somali=True,
        person_placeholder_date=0.3,
    ),
    Origin(
        "Iraq",
        0.07,
        (*_ARABIC_GIVEN_M,),
        (*_ARABIC_GIVEN_F,),
        (*_IRAQI_FAMILY,),
        (*_ARABIC_GIVEN_M,),
        arabic_script=True,
        person_placeholder_date=0.15,
    ),
    Origin(
        "Palestine",
        0.05,
        (*_ARABIC_GIVEN_M,),
        (*_ARABIC_GIVEN_F,),
        (*_SYRIAN_FAMILY,),
        arabic_script=True,
        person_placeholder_date=0.1,
    ),
    Origin(
        "Guinea",
        0.09,
        (*_GUINEAN_GIVEN_M,),
        (*_GUINEAN_GIVEN_F,),
        (*_GUINEAN_FAMILY,),
        person_placeholder_date=0.2,
    ),
    Origin("DR Congo", 0.10, (*_CONGOLESE_GIVEN_M,), (*_CONGOLESE_GIVEN_F,), (*_CONGOLESE_FAMILY,)),
    Origin(
        "Morocco",
        0.12,
        (*_MOROCCAN_GIVEN_M,),
        (*_MOROCCAN_GIVEN_F,),
        (*_MOROCCAN_FAMILY,),
        arabic_script=True,
    ),
    Origin("Ukraine", 0.05, (*_UKRAINIAN_GIVEN_M,), (*_UKRAINIAN_GIVEN_F,), (*_UKRAINIAN_FAMILY,)),
    Origin(
        "Belgium",
        0.10,
        (*_BELGIAN_GIVEN_M,),
        (*_BELGIAN_GIVEN_F,),
        (*_BELGIAN_FAMILY,),
        person_placeholder_date=0.0,
    ),
)

ORGANISATIONS = (
    "Actiris",
    "CPAS Schaerbeek",
    "CPAS Anderlecht",
    "OCMW Brussel",
    "BAPA BXL",
    "Via",
    "Convivial",
    "Mission locale Molenbeek",
    "Ciré",
    "Vluchtelingenwerk",
    "Duo for a Job",
)
POSTCODES = (
    "1000",
    "1020",
    "1030",
    "1040",
    "1050",
    "1060",
    "1070",
    "1080",
    "1081",
    "1082",
    "1083",
    "1090",
    "1120",
    "1130",
    "1140",
    "1150",
    "1160",
    "1170",
    "1180",
    "1190",
    "1200",
    "1210",
)


@dataclass(frozen=True)
class ErrorRates:
    """Per-record rates of each kind of difference (defaults are our estimates; see docs)."""

    variant_arabic: float = 0.25  # each token spelt another way (Arabic-script origins)
    variant_other: float = 0.1
    article_form: float = 0.5  # Al-Hassan / Al Hassan / Alhassan / El Hassan / Hassan
    swap: float = 0.05  # given and family name swapped
    patronymic_cut: float = 0.25  # grandfather's name added, dropped or moved
    typo: float = 0.02  # one keystroke error per name field
    upper: float = 0.3  # family name in capitals
    date_missing: float = 0.03
    date_placeholder: float = 0.05  # replaced by 1 January of the year
    date_swap: float = 0.03  # day and month swapped (when both ≤ 12)
    date_typo: float = 0.02  # one digit wrong
    postcode_missing: float = 0.15
    postcode_moved: float = 0.1
    phone_missing: float = 0.3
    phone_changed: float = 0.15
    household: float = 0.25  # people who live with relatives also in the data


_RECORDS_PER_PERSON = ((1, 0.4), (2, 0.3), (3, 0.2), (4, 0.1))
_GROUPS: dict[str, list[str]] = {}


def _groups() -> dict[str, list[str]]:
    if not _GROUPS:
        for spelling, canonical_form in variant_table().items():
            _GROUPS.setdefault(canonical_form, []).append(spelling)
    return _GROUPS


_SWAPS = (
    ("ou", "u"),
    ("e", "a"),
    ("a", "e"),
    ("i", "ee"),
    ("ee", "i"),
    ("o", "u"),
    ("y", "i"),
    ("ai", "ay"),
    ("ay", "ai"),
    ("kh", "h"),
    ("q", "k"),
    ("k", "q"),
    ("ch", "sh"),
    ("sh", "ch"),
    ("dj", "j"),
    ("j", "dj"),
    ("gh", "g"),
    ("g", "gh"),
    ("ss", "s"),
    ("s", "ss"),
    ("mm", "m"),
    ("m", "mm"),
    ("dd", "d"),
    ("tt", "t"),
    ("ll", "l"),
    ("l", "ll"),
    ("nn", "n"),
)


def _transliterate(token: str, origin: Origin, rng: random.Random) -> str:
    """Another spelling of one name token (from the variant tables or a spelling rule)."""
    lower = token.lower()
    group = _groups().get(variant_table().get(lower, ""), [])
    if not origin.somali:  # Somali orthography (Maxamed, Cabdi) only for Somali names
        group = [g for g in group if "x" not in g and not re.match(r"c[aeiou]", g)]
    if group and rng.random() < 0.7:
        return rng.choice(group).capitalize()
    if origin.somali and rng.random() < 0.5:
        match = re.search(r"(?<![sckgdtp])h", lower)
        if match:
            return (lower[: match.start()] + "x" + lower[match.end() :]).capitalize()
        if lower[0] in "aeiou":
            return ("c" + lower).capitalize()
    options = [(a, b) for a, b in _SWAPS if a in lower[1:]]
    if not options:
        return token
    a, b = rng.choice(options)
    start = lower.find(a, 1)
    return (lower[:start] + b + lower[start + len(a) :]).capitalize()


def _typo(text: str, rng: random.Random) -> str:
    if len(text) < 3:
        return text
    i = rng.randrange(1, len(text))
    kind = rng.randrange(4)
    letter = rng.choice("abcdefghijklmnopqrstuvwxyz")
    if kind == 0:
        return text[:i] + letter + text[i + 1 :]
    if kind == 1:
        return text[:i] + text[i + 1 :]
    if kind == 2:
        return text[:i] + letter + text[i:]
    return text[: i - 1] + text[i] + text[i - 1] + text[i + 1 :]


def _article_form(token: str, rng: random.Random) -> str:
    """Al-Hassan as registries write it: Al-Hassan, Al Hassan, Alhassan, El Hassan, Hassan."""
    prefix, _, rest = token.partition("-")
    if prefix.lower() not in {"al", "el"} or not rest:
        return token
    return rng.choice(
        (f"{prefix}-{rest}", f"{prefix} {rest}", f"{prefix}{rest.lower()}", f"El {rest}", rest)
    )


def _abd_form(token: str, rng: random.Random) -> str:
    lower = token.lower().replace("-", "")
    for stem in ("abdul", "abdel", "abdi"):
        if lower.startswith(stem) and len(lower) > len(stem) + 2:
            rest = lower[len(stem) :]
            return rng.choice(
                (
                    f"Abdul {rest.capitalize()}",
                    f"Abd al-{rest.capitalize()}",
                    f"Abdel{rest}",
                    f"Abdul{rest}",
                    f"Abd {rest.capitalize()}",
                    token,
                )
            )
    return token


@dataclass
class _Person:
    person_id: int
    origin: Origin
    given: list[str]
    family: list[str]  # family name, or father's (and grandfather's) names
    patronymic: bool
    father: str | None  # father's name, written in some registrations only
    birth: dt.date
    placeholder: bool
    postcode: str
    phone: str


def _phone(rng: random.Random) -> str:
    return "04" + "".join(rng.choice("0123456789") for _ in range(8))


def _birth(rng: random.Random) -> dt.date:
    return dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(365 * 45))


_CONGOLESE_HEADS = ("Ka", "Mu", "Tshi", "Mbu", "Lu", "Nku", "I", "Ngo", "Ma", "Ki", "Bo", "Mpi")
_CONGOLESE_TAILS = (
    "longo", "bangu", "lala", "yi", "lunga", "songo", "kusa", "lumba", "bongo", "tombo",
    "simba", "samba", "mbala", "lonji", "sekedi", "amba", "beya", "kiese", "nzuzi", "kanku",
    "sudi", "banza", "kuli", "lamba", "ana",
)  # fmt: skip
_FLEMISH_HEADS = ("Van ", "De ", "Van de ", "Vanden", "Ver", "")
_FLEMISH_TAILS = (
    "Acker", "Berg", "Bosch", "Broeck", "Damme", "Velde", "Meulen", "Poel", "Hoeve", "Smet",
    "Backer", "Cock", "Graeve", "Wolf", "Vos", "Leeuw", "Kerckhove", "Linden", "Straeten",
    "Haute", "Wouwer", "Eycken", "Steen",
)  # fmt: skip


def _root(origin: Origin, rng: random.Random) -> str:
    name = rng.choice(origin.given_m).replace("-", "")
    return name[:-1] if name[-1] in "aeiouy" else name


def _family_name(origin: Origin, rng: random.Random) -> str:
    """A family name: from the origin's list, or formed the way that origin forms them
    (Afghan -i/-zai/-yar/-zada, Arabic Al-…i, Moroccan Ben…/Bou…/El-…i, Congolese
    compounds, Ukrainian -enko/-chuk, Flemish Van/De …), so that names are as diverse as in
    a real population of this size."""
    if rng.random() < 0.4 or origin.name in {"Guinea"}:
        return rng.choice(origin.family)
    root = _root(origin, rng)
    if origin.name == "Afghanistan":
        return root + rng.choice(("i", "zai", "yar", "zada", "khel"))
    if origin.name in {"Syria", "Iraq", "Palestine"}:
        return "Al-" + root + rng.choice(("i", "", "awi"))
    if origin.name == "Morocco":
        lower = root.lower()
        return rng.choice((f"El-{root}i", f"Ben{lower}", f"Bou{lower}", f"{root}i"))
    if origin.name == "DR Congo":
        return rng.choice(_CONGOLESE_HEADS) + rng.choice(_CONGOLESE_TAILS)
    if origin.name == "Ukraine":
        return root + rng.choice(("enko", "chuk", "iv", "yshyn"))
    if origin.name == "Belgium":
        head = rng.choice(_FLEMISH_HEADS)
        tail = rng.choice(_FLEMISH_TAILS)
        return (head + tail.lower()) if head.endswith(("n", "r")) else (head + tail)
    return rng.choice(origin.family)


def _new_person(person_id: int, rng: random.Random, relative: _Person | None) -> _Person:
    origin = relative.origin if relative else rng.choices(ORIGINS, [o.weight for o in ORIGINS])[0]
    sex = rng.choice((_M, _F))
    given_pool = origin.given_m if sex == _M else origin.given_f
    given = [rng.choice(given_pool)]
    while relative is not None and given[0] == relative.given[0]:  # siblings differ
        given = [rng.choice(given_pool)]
    if origin.arabic_script and rng.random() < 0.1:
        given.append(rng.choice(origin.given_m))  # compound given name: Mohamed Amine
    patronymic = not origin.family or (origin.fathers != () and rng.random() < 0.5)
    if relative is not None:
        family = list(relative.family)
    elif patronymic:
        pool = origin.fathers or origin.given_m
        family = [rng.choice(pool), rng.choice(pool)]
    else:
        family = [_family_name(origin, rng)]
    father = None
    if (origin.arabic_script or origin.name == "Guinea") and not patronymic:
        father = relative.father if relative else rng.choice(origin.given_m)
    placeholder = rng.random() < origin.person_placeholder_date
    return _Person(
        person_id=person_id,
        origin=origin,
        given=given,
        family=family,
        patronymic=patronymic,
        father=father,
        birth=_birth(rng),
        placeholder=placeholder,
        postcode=relative.postcode if relative else rng.choice(POSTCODES),
        phone=relative.phone if relative else _phone(rng),
    )


def _render_name(tokens: list[str], person: _Person, rates: ErrorRates, rng: random.Random) -> str:
    rate = rates.variant_arabic if person.origin.arabic_script else rates.variant_other
    if person.origin.somali:
        rate = rates.variant_arabic
    out = []
    for token in tokens:
        if rng.random() < rate:
            if token.lower().startswith("abd"):
                token = _abd_form(token, rng)
            elif token[:3].lower() in {"al-", "el-"}:
                token = token[:3] + _transliterate(token[3:], person.origin, rng)
            elif "-" not in token and " " not in token:
                token = _transliterate(token, person.origin, rng)
        if rng.random() < rates.article_form:
            token = _article_form(token, rng)
        else:
            token = token.replace("-", " ") if rng.random() < 0.3 else token
        out.append(token)
    return " ".join(out)


def _render_date(person: _Person, rates: ErrorRates, rng: random.Random) -> str:
    roll = rng.random()
    if roll < rates.date_missing:
        return ""
    day = person.birth
    if person.placeholder or roll < rates.date_missing + rates.date_placeholder:
        day = dt.date(day.year, 1, 1)
    text = day.isoformat()
    roll = rng.random()
    if roll < rates.date_swap and day.day <= 12 and day.day != day.month:
        text = f"{day.year:04d}-{day.day:02d}-{day.month:02d}"
    elif roll < rates.date_swap + rates.date_typo:
        for _attempt in range(5):
            i = rng.choice((2, 3, 5, 6, 8, 9))
            candidate = text[:i] + rng.choice("0123456789") + text[i + 1 :]
            try:
                dt.date.fromisoformat(candidate)
            except ValueError:
                continue
            text = candidate
            break
    if rng.random() < 0.3:  # some registries write dates the Belgian way
        year, month, day_text = text.split("-")
        text = f"{day_text}/{month}/{year}"
    return text


def generate(records: int, *, seed: int = 0, rates: ErrorRates | None = None) -> pl.DataFrame:
    """About `records` synthetic registrations (exactly `records` rows), with `person_id`.

    Columns: record_id, given_name, surname, birth_date, postcode, phone, organisation,
    person_id (the ground truth). Deterministic for a given seed.
    """
    rates = rates or ErrorRates()
    rng = random.Random(seed)
    counts, weights = zip(*_RECORDS_PER_PERSON, strict=True)
    columns: dict[str, list[str]] = {
        key: []
        for key in (
            "record_id",
            "given_name",
            "surname",
            "birth_date",
            "postcode",
            "phone",
            "organisation",
            "person_id",
        )
    }
    person_id = 0
    household_head: _Person | None = None
    while len(columns["record_id"]) < records:
        relative = household_head if household_head and rng.random() < 0.5 else None
        person = _new_person(person_id, rng, relative)
        household_head = person if rng.random() < rates.household else None
        person_id += 1
        copies = min(int(rng.choices(counts, weights)[0]), records - len(columns["record_id"]))
        for organisation in rng.sample(ORGANISATIONS, copies):
            family_tokens = list(person.family)
            given_tokens = list(person.given)
            if person.patronymic and rng.random() < rates.patronymic_cut:
                choice = rng.randrange(3)
                if choice == 0:
                    family_tokens = family_tokens[:1]  # grandfather's name left out
                elif choice == 1:
                    given_tokens = [*given_tokens, family_tokens[0]]  # father's name as given
                    family_tokens = family_tokens[1:]
                else:
                    family_tokens = family_tokens[-1:]
            if person.father and rng.random() < 0.4:  # Fadi Khaled Al-Homsi
                if rng.random() < 0.5:
                    given_tokens = [*given_tokens, person.father]
                else:
                    family_tokens = [person.father, *family_tokens]
            given = _render_name(given_tokens, person, rates, rng)
            surname = _render_name(family_tokens, person, rates, rng)
            if rng.random() < rates.typo:
                given = _typo(given, rng)
            if rng.random() < rates.typo:
                surname = _typo(surname, rng)
            if rng.random() < rates.upper:
                surname = surname.upper()
            if rng.random() < rates.swap:
                given, surname = surname, given
            roll = rng.random()
            if roll < rates.postcode_missing:
                postcode = ""
            elif roll < rates.postcode_missing + rates.postcode_moved:
                postcode = rng.choice(POSTCODES)
            else:
                postcode = person.postcode
            roll = rng.random()
            if roll < rates.phone_missing:
                phone = ""
            elif roll < rates.phone_missing + rates.phone_changed:
                phone = _phone(rng)
            else:
                phone = rng.choice(
                    (person.phone, "+32 " + person.phone[1:4] + " " + person.phone[4:])
                )
            columns["record_id"].append(f"r{len(columns['record_id']):07d}")
            columns["given_name"].append(given)
            columns["surname"].append(surname)
            columns["birth_date"].append(_render_date(person, rates, rng))
            columns["postcode"].append(postcode)
            columns["phone"].append(phone)
            columns["organisation"].append(organisation)
            columns["person_id"].append(f"p{person.person_id:07d}")
    # shuffle so that a person's records are not adjacent
    order = list(range(len(columns["record_id"])))
    rng.shuffle(order)
    frame = pl.DataFrame(columns)
    return frame[order].with_columns(
        pl.Series("record_id", [f"r{i:07d}" for i in range(len(order))])
    )

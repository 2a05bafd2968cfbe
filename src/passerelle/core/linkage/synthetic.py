"""A synthetic population of newcomers registered at several Brussels organisations.

SYNTHETIC DATA ONLY: every person is made up from the name lists of
`data/synthetic_names.yaml` (common given and family names per origin, as found in public
name-frequency lists) and random dates; no real person's data is used or reproduced. The
generator exists to test and benchmark linkage.

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
import functools
import itertools
import random
import re
from dataclasses import dataclass
from importlib import resources
from typing import Literal

import polars as pl
import yaml

from .names import variant_table

_M, _F = "m", "f"


@functools.cache
def _name_lists() -> dict[str, tuple[str, ...]]:
    """The name lists of `data/synthetic_names.yaml` (read once), in their order: common
    given and family names per origin and the parts of formed names (sources there)."""
    text = resources.files("passerelle.core.linkage").joinpath("data/synthetic_names.yaml")
    lists: dict[str, list[str]] = yaml.safe_load(text.read_text(encoding="utf-8"))
    return {key: tuple(values) for key, values in lists.items()}


_ARABIC_GIVEN_M = _name_lists()["arabic_given_m"]
_ARABIC_GIVEN_F = _name_lists()["arabic_given_f"]
_SYRIAN_FAMILY = _name_lists()["syrian_family"]
_IRAQI_FAMILY = _name_lists()["iraqi_family"]
_AFGHAN_GIVEN_M = _name_lists()["afghan_given_m"]
_AFGHAN_GIVEN_F = _name_lists()["afghan_given_f"]
_AFGHAN_FAMILY = _name_lists()["afghan_family"]
_ERITREAN_GIVEN_M = _name_lists()["eritrean_given_m"]
_ERITREAN_GIVEN_F = _name_lists()["eritrean_given_f"]
_ERITREAN_FATHER = _name_lists()["eritrean_father"]
_SOMALI_GIVEN_M = _name_lists()["somali_given_m"]
_SOMALI_GIVEN_F = _name_lists()["somali_given_f"]
_GUINEAN_GIVEN_M = _name_lists()["guinean_given_m"]
_GUINEAN_GIVEN_F = _name_lists()["guinean_given_f"]
_GUINEAN_FAMILY = _name_lists()["guinean_family"]
_CONGOLESE_GIVEN_M = _name_lists()["congolese_given_m"]
_CONGOLESE_GIVEN_F = _name_lists()["congolese_given_f"]
_CONGOLESE_FAMILY = _name_lists()["congolese_family"]
_MOROCCAN_GIVEN_M = _name_lists()["moroccan_given_m"]
_MOROCCAN_GIVEN_F = _name_lists()["moroccan_given_f"]
_MOROCCAN_FAMILY = _name_lists()["moroccan_family"]
_BELGIAN_GIVEN_M = _name_lists()["belgian_given_m"]
_BELGIAN_GIVEN_F = _name_lists()["belgian_given_f"]
_BELGIAN_FAMILY = _name_lists()["belgian_family"]
_UKRAINIAN_GIVEN_M = _name_lists()["ukrainian_given_m"]
_UKRAINIAN_GIVEN_F = _name_lists()["ukrainian_given_f"]
_UKRAINIAN_FAMILY = _name_lists()["ukrainian_family"]
_MORE_ARABIC_GIVEN_M = _name_lists()["more_arabic_given_m"]
_MORE_ARABIC_GIVEN_F = _name_lists()["more_arabic_given_f"]
_MORE_ARABIC_FAMILY = _name_lists()["more_arabic_family"]
_MORE_AFGHAN_GIVEN_M = _name_lists()["more_afghan_given_m"]
_MORE_AFGHAN_GIVEN_F = _name_lists()["more_afghan_given_f"]
_MORE_ERITREAN_GIVEN_M = _name_lists()["more_eritrean_given_m"]
_MORE_ERITREAN_GIVEN_F = _name_lists()["more_eritrean_given_f"]
_MORE_SOMALI_GIVEN_M = _name_lists()["more_somali_given_m"]
_MORE_SOMALI_GIVEN_F = _name_lists()["more_somali_given_f"]
_MORE_GUINEAN_GIVEN_M = _name_lists()["more_guinean_given_m"]
_MORE_GUINEAN_GIVEN_F = _name_lists()["more_guinean_given_f"]
_MORE_GUINEAN_FAMILY = _name_lists()["more_guinean_family"]
_MORE_CONGOLESE_GIVEN_M = _name_lists()["more_congolese_given_m"]
_MORE_CONGOLESE_GIVEN_F = _name_lists()["more_congolese_given_f"]
_MORE_MOROCCAN_GIVEN_M = _name_lists()["more_moroccan_given_m"]
_MORE_MOROCCAN_GIVEN_F = _name_lists()["more_moroccan_given_f"]
_MORE_BELGIAN_GIVEN_M = _name_lists()["more_belgian_given_m"]
_MORE_BELGIAN_GIVEN_F = _name_lists()["more_belgian_given_f"]
_MORE_UKRAINIAN_GIVEN_M = _name_lists()["more_ukrainian_given_m"]
_MORE_UKRAINIAN_GIVEN_F = _name_lists()["more_ukrainian_given_f"]


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
    more_given_m: tuple[str, ...] = ()
    more_given_f: tuple[str, ...] = ()
    more_family: tuple[str, ...] = ()


ORIGINS: tuple[Origin, ...] = (
    Origin(
        "Syria",
        0.13,
        (*_ARABIC_GIVEN_M,),
        (*_ARABIC_GIVEN_F,),
        (*_SYRIAN_FAMILY,),
        arabic_script=True,
        person_placeholder_date=0.1,
        more_given_m=_MORE_ARABIC_GIVEN_M,
        more_given_f=_MORE_ARABIC_GIVEN_F,
        more_family=_MORE_ARABIC_FAMILY,
    ),
    Origin(
        "Afghanistan",
        0.13,
        (*_AFGHAN_GIVEN_M,),
        (*_AFGHAN_GIVEN_F,),
        (*_AFGHAN_FAMILY,),
        arabic_script=True,
        person_placeholder_date=0.35,
        more_given_m=_MORE_AFGHAN_GIVEN_M,
        more_given_f=_MORE_AFGHAN_GIVEN_F,
    ),
    Origin(
        "Eritrea",
        0.10,
        (*_ERITREAN_GIVEN_M,),
        (*_ERITREAN_GIVEN_F,),
        (),
        (*_ERITREAN_FATHER,),
        person_placeholder_date=0.2,
        more_given_m=_MORE_ERITREAN_GIVEN_M,
        more_given_f=_MORE_ERITREAN_GIVEN_F,
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
        more_given_m=_MORE_SOMALI_GIVEN_M,
        more_given_f=_MORE_SOMALI_GIVEN_F,
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
        more_given_m=_MORE_ARABIC_GIVEN_M,
        more_given_f=_MORE_ARABIC_GIVEN_F,
        more_family=_MORE_ARABIC_FAMILY,
    ),
    Origin(
        "Palestine",
        0.05,
        (*_ARABIC_GIVEN_M,),
        (*_ARABIC_GIVEN_F,),
        (*_SYRIAN_FAMILY,),
        arabic_script=True,
        person_placeholder_date=0.1,
        more_given_m=_MORE_ARABIC_GIVEN_M,
        more_given_f=_MORE_ARABIC_GIVEN_F,
        more_family=_MORE_ARABIC_FAMILY,
    ),
    Origin(
        "Guinea",
        0.09,
        (*_GUINEAN_GIVEN_M,),
        (*_GUINEAN_GIVEN_F,),
        (*_GUINEAN_FAMILY,),
        person_placeholder_date=0.2,
        more_given_m=_MORE_GUINEAN_GIVEN_M,
        more_given_f=_MORE_GUINEAN_GIVEN_F,
        more_family=_MORE_GUINEAN_FAMILY,
    ),
    Origin(
        "DR Congo",
        0.10,
        (*_CONGOLESE_GIVEN_M,),
        (*_CONGOLESE_GIVEN_F,),
        (*_CONGOLESE_FAMILY,),
        more_given_m=_MORE_CONGOLESE_GIVEN_M,
        more_given_f=_MORE_CONGOLESE_GIVEN_F,
    ),
    Origin(
        "Morocco",
        0.12,
        (*_MOROCCAN_GIVEN_M,),
        (*_MOROCCAN_GIVEN_F,),
        (*_MOROCCAN_FAMILY,),
        arabic_script=True,
        more_given_m=_MORE_MOROCCAN_GIVEN_M,
        more_given_f=_MORE_MOROCCAN_GIVEN_F,
    ),
    Origin(
        "Ukraine",
        0.05,
        (*_UKRAINIAN_GIVEN_M,),
        (*_UKRAINIAN_GIVEN_F,),
        (*_UKRAINIAN_FAMILY,),
        more_given_m=_MORE_UKRAINIAN_GIVEN_M,
        more_given_f=_MORE_UKRAINIAN_GIVEN_F,
    ),
    Origin(
        "Belgium",
        0.10,
        (*_BELGIAN_GIVEN_M,),
        (*_BELGIAN_GIVEN_F,),
        (*_BELGIAN_FAMILY,),
        person_placeholder_date=0.0,
        more_given_m=_MORE_BELGIAN_GIVEN_M,
        more_given_f=_MORE_BELGIAN_GIVEN_F,
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


NameSpread = Literal["realistic", "narrow"]
"""How names spread over people. "realistic": the commonest names of each origin are
drawn most often (Zipf's law over the lists above, as name frequencies fall in real
populations), then less common names and names formed the way each origin forms them, so
that most people's full name is shared by few others. "narrow": every name drawn evenly
from the short lists of commonest names only, as this generator did until 2026-11-29;
kept as a harder test (many namesakes) and to reproduce earlier benchmark figures."""

_RECORDS_PER_PERSON = ((1, 0.4), (2, 0.3), (3, 0.2), (4, 0.1))
_DIVINE_ATTRIBUTES = _name_lists()["divine_attributes"]
_DIN_HEADS = _name_lists()["din_heads"]
_ULLAH_HEADS = _name_lists()["ullah_heads"]
_GEEZ_HEADS_M = _name_lists()["geez_heads_m"]
_GEEZ_HEADS_F = _name_lists()["geez_heads_f"]
_GEEZ_TAILS = _name_lists()["geez_tails"]


def _formed_given(origin: Origin, sex: str, rng: random.Random) -> str | None:
    """A given name formed the way the origin forms them, or None where it does not."""
    if sex == _F:
        if origin.name == "Eritrea":
            return rng.choice(_GEEZ_HEADS_F) + rng.choice(_GEEZ_TAILS)
        return None
    attribute = rng.choice(_DIVINE_ATTRIBUTES)
    if origin.name in {"Syria", "Iraq", "Palestine"}:
        if rng.random() < 0.6:
            return "Abdul" + attribute.lower()
        return rng.choice(_DIN_HEADS) + "-Eddin"
    if origin.name == "Morocco":
        if rng.random() < 0.6:
            return "Abdel" + attribute.lower()
        return rng.choice(_DIN_HEADS) + "eddine"
    if origin.name == "Somalia":
        return "Abdi" + attribute.lower()
    if origin.name == "Afghanistan":
        roll = rng.random()
        if roll < 0.4:
            return "Abdul-" + attribute
        if roll < 0.8:
            return rng.choice(_ULLAH_HEADS) + "ullah"
        return rng.choice(_DIN_HEADS) + "uddin"
    if origin.name == "Eritrea":
        return rng.choice(_GEEZ_HEADS_M) + rng.choice(_GEEZ_TAILS)
    return None


@functools.cache
def _zipf_cumulative(count: int) -> list[float]:
    return list(itertools.accumulate(1 / rank for rank in range(1, count + 1)))


def _commonest(names: tuple[str, ...], rng: random.Random) -> str:
    """One of the commonest names, the first listed the most often (Zipf's law, s = 1)."""
    return rng.choices(names, cum_weights=_zipf_cumulative(len(names)))[0]


def _given(origin: Origin, sex: str, rng: random.Random, spread: NameSpread) -> str:
    """A given name: half the commonest names, then formed names and less common ones."""
    common = origin.given_m if sex == _M else origin.given_f
    if spread == "narrow":
        return rng.choice(common)
    more = origin.more_given_m if sex == _M else origin.more_given_f
    roll = rng.random()
    if roll < 0.5 or not more:
        return _commonest(common, rng)
    if roll < 0.7:
        formed = _formed_given(origin, sex, rng)
        if formed is not None:
            return formed
    return rng.choice(more)


def _fathers_name(origin: Origin, rng: random.Random, spread: NameSpread) -> str:
    """A father's or grandfather's name as it appears in a patronymic name."""
    pool = origin.fathers or origin.given_m
    if spread == "narrow":
        return rng.choice(pool)
    if pool != origin.given_m and rng.random() < 0.5:
        return _commonest(pool, rng)
    return _given(origin, _M, rng, spread)


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


_CONGOLESE_HEADS = _name_lists()["congolese_heads"]
_CONGOLESE_TAILS = _name_lists()["congolese_tails"]
_FLEMISH_HEADS = _name_lists()["flemish_heads"]
_FLEMISH_TAILS = _name_lists()["flemish_tails"]
_WALLOON_HEADS = _name_lists()["walloon_heads"]
_WALLOON_TAILS = _name_lists()["walloon_tails"]


def _root(origin: Origin, rng: random.Random, spread: NameSpread) -> str:
    names = origin.given_m
    if spread == "realistic" and origin.more_given_m and rng.random() < 0.5:
        names = origin.more_given_m
    name = rng.choice(names).replace("-", "")
    return name[:-1] if name[-1] in "aeiouy" else name


def _family_name(origin: Origin, rng: random.Random, spread: NameSpread) -> str:
    """A family name: from the origin's lists, or formed the way that origin forms them
    (Afghan -i/-zai/-yar/-zada, Arabic Al-…i, Moroccan Ben…/Bou…/El-…i, Congolese
    compounds, Ukrainian -enko/-chuk, Flemish Van/De …, Walloon Du…/Le…), so that names
    are as diverse as in a real population of this size. Fula and Mande family names
    (Guinea) are few, so they all come from the lists."""
    if spread == "narrow":
        if rng.random() < 0.4 or origin.name in {"Guinea"}:
            return rng.choice(origin.family)
    else:
        roll = rng.random()
        if roll < 0.25 or (origin.name == "Guinea" and roll < 0.6):
            return _commonest(origin.family, rng)
        if origin.more_family and (roll < 0.4 or origin.name == "Guinea"):
            return rng.choice(origin.more_family)
    root = _root(origin, rng, spread)
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
        if spread == "realistic" and rng.random() < 0.4:
            return rng.choice(_WALLOON_HEADS) + rng.choice(_WALLOON_TAILS)
        head = rng.choice(_FLEMISH_HEADS)
        tail = rng.choice(_FLEMISH_TAILS)
        return (head + tail.lower()) if head.endswith(("n", "r")) else (head + tail)
    return rng.choice(origin.family)


def _new_person(
    person_id: int, rng: random.Random, relative: _Person | None, spread: NameSpread
) -> _Person:
    origin = relative.origin if relative else rng.choices(ORIGINS, [o.weight for o in ORIGINS])[0]
    sex = rng.choice((_M, _F))
    given = [_given(origin, sex, rng, spread)]
    while relative is not None and given[0] == relative.given[0]:  # siblings differ
        given = [_given(origin, sex, rng, spread)]
    if origin.arabic_script and rng.random() < 0.1:
        given.append(_given(origin, _M, rng, spread))  # compound given name: Mohamed Amine
    patronymic = not origin.family or (origin.fathers != () and rng.random() < 0.5)
    if relative is not None:
        family = list(relative.family)
    elif patronymic:
        family = [_fathers_name(origin, rng, spread), _fathers_name(origin, rng, spread)]
    else:
        family = [_family_name(origin, rng, spread)]
    father = None
    if (origin.arabic_script or origin.name == "Guinea") and not patronymic:
        father = relative.father if relative else _given(origin, _M, rng, spread)
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


def generate(
    records: int,
    *,
    seed: int = 0,
    rates: ErrorRates | None = None,
    names: NameSpread = "realistic",
) -> pl.DataFrame:
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
        person = _new_person(person_id, rng, relative, names)
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

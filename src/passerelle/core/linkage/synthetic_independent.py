"""A second synthetic population, made independently of `synthetic.py`: the generalisation test.

SYNTHETIC DATA ONLY. The engine is never tuned on this population (docs/linkage.md,
"Independent population"); it is here to tell whether the engine's settings hold on data
they were not chosen on. It shares nothing with `synthetic.py` or the engine's tables:

- **Names** come from its own file (`data/independent_population.yaml`), written in a
  phonemic notation for Arabic-, Persian-, Tigrinya- and Ukrainian-script origins and
  romanised at generation time by one of several systems (English, French, German, Dutch,
  scholarly, Somali orthography; Ukrainian national, BGN/PCGN, German, French), with
  vowel shifts, geminates written single and article forms: transliteration comes from
  these rules, not from a list of known variants.
- **Errors** follow the corruption model of the FEBRL and GeCo generators (Christen 2005;
  Christen and Pudjijono 2009; Christen and Vatsalan 2013; Tran, Vatsalan and Christen
  2013): each record gets a number of modifications drawn from a distribution, each
  modification picks a field by a per-field weight and a corruptor by a per-corruptor
  weight: keyboard (AZERTY neighbours), phonetic, OCR-like and edit typos, missing
  values, swapped given and family names, and for dates placeholders (1 January),
  partial dates, day and month swapped, a digit mistyped, a year off by one.

`person_id` is the ground truth. Rates are in `CorruptionModel`; the ones no source gives
are our assumptions (docs/linkage.md lists which).
"""

from __future__ import annotations

import datetime as dt
import functools
import random
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import polars as pl
import yaml

# Romanisation systems per script: phoneme → spellings (one drawn per occurrence).
# Lower-case letters not listed are written as they are.
_ARABIC: dict[str, dict[str, tuple[str, ...]]] = {
    "english": {
        "H": ("h",), "X": ("kh",), "x": ("kh",), "Q": ("q",), "C": ("",), "S": ("sh",),
        "J": ("j",), "G": ("gh",), "T": ("th",), "D": ("dh",), "Z": ("zh",), "A": ("a",),
        "I": ("i", "ee"), "U": ("u", "oo"), "u": ("u", "o"), "i": ("i", "e"),
        "a": ("a", "e"), "'": ("",), "w": ("w",), "y": ("y",),
    },
    "french": {
        "H": ("h",), "X": ("kh",), "x": ("kh",), "Q": ("k",), "C": ("",), "S": ("ch",),
        "J": ("dj",), "G": ("gh",), "T": ("t",), "D": ("d",), "Z": ("j",), "A": ("a",),
        "I": ("i",), "U": ("ou",), "u": ("ou", "o"), "i": ("i", "e"), "a": ("a", "e"),
        "'": ("",), "w": ("ou", "w"), "y": ("y", "i"),
    },
    "german": {
        "H": ("h",), "X": ("ch",), "x": ("ch",), "Q": ("k",), "C": ("",), "S": ("sch",),
        "J": ("dsch", "dj"), "G": ("gh",), "T": ("t",), "D": ("d",), "Z": ("sch",),
        "A": ("a",), "I": ("ie", "i"), "U": ("u",), "u": ("u", "o"), "i": ("i", "e"),
        "a": ("a", "e"), "'": ("",), "w": ("w",), "y": ("j",),
    },
    "dutch": {
        "H": ("h",), "X": ("ch",), "x": ("ch",), "Q": ("k",), "C": ("",), "S": ("sj",),
        "J": ("dj",), "G": ("gh",), "T": ("t",), "D": ("d",), "Z": ("zj",), "A": ("aa",),
        "I": ("ie",), "U": ("oe",), "u": ("oe", "o"), "i": ("i", "e"), "a": ("a", "e"),
        "'": ("",), "w": ("w",), "y": ("j",),
    },
    "scholarly": {
        "H": ("h",), "X": ("kh",), "x": ("kh",), "Q": ("q",), "C": ("'",), "S": ("sh",),
        "J": ("j",), "G": ("gh",), "T": ("th",), "D": ("dh",), "Z": ("zh",), "A": ("a",),
        "I": ("i",), "U": ("u",), "'": ("'",),
    },
}  # fmt: skip
_SOMALI: dict[str, dict[str, tuple[str, ...]]] = {
    "somali": {
        "H": ("x",), "X": ("kh",), "x": ("kh",), "Q": ("q",), "C": ("c",), "S": ("sh",),
        "J": ("j",), "G": ("g",), "T": ("t",), "D": ("dh",), "Z": ("j",), "A": ("aa",),
        "I": ("ii",), "U": ("uu",), "'": ("",),
    },
    "english": _ARABIC["english"],
    "italian": {
        "H": ("h",), "X": ("kh",), "x": ("kh",), "Q": ("q",), "C": ("",), "S": ("sc",),
        "J": ("gi", "j"), "G": ("g",), "T": ("t",), "D": ("d",), "Z": ("g",), "A": ("a",),
        "I": ("i",), "U": ("u",), "u": ("u", "o"), "'": ("",), "y": ("i",), "w": ("u",),
    },
}  # fmt: skip
_CYRILLIC: dict[str, dict[str, tuple[str, ...]]] = {
    "national": {
        "X": ("kh",), "x": ("kh",), "c": ("ch",), "S": ("sh",), "Z": ("zh",), "y": ("i",),
        "Y": ("y",), "E": ("ie",), "W": ("iu",), "R": ("ia",), "T": ("ts",),
    },
    "bgn": {
        "X": ("kh",), "x": ("kh",), "c": ("ch",), "S": ("sh",), "Z": ("zh",), "y": ("y",),
        "Y": ("y",), "E": ("ye",), "W": ("yu",), "R": ("ya",), "T": ("ts",),
    },
    "german": {
        "X": ("ch",), "x": ("ch",), "c": ("tsch",), "S": ("sch",), "Z": ("sch",),
        "y": ("j",), "Y": ("y", "i"), "E": ("je",), "W": ("ju",), "R": ("ja",), "T": ("z",),
        "v": ("w",),
    },
    "french": {
        "X": ("kh",), "x": ("kh",), "c": ("tch",), "S": ("ch",), "Z": ("j",), "y": ("i",),
        "Y": ("y", "i"), "E": ("ie",), "W": ("iou",), "R": ("ia",), "T": ("ts",),
        "h": ("h", "g"),
    },
}  # fmt: skip
# Tigrinya names in Latin letters vary by rules of their own (Ethiopic script has no one
# romanisation): each rule applies to each occurrence with probability ETHIOPIC_RATE.
_ETHIOPIC_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("e", ("a", "ie")), ("ay", ("ai",)), ("w", ("u",)), ("o", ("e",)), ("k", ("q",)),
    ("gh", ("g",)), ("ts", ("tz", "s")), ("ie", ("e",)), ("y", ("i",)), ("h", ("",)),
)  # fmt: skip
ETHIOPIC_RATE = 0.15
# Latin-script names: spelling variants heard and written down (GeCo's phonetic corruptor
# works from rules of this kind; these are ours for French, Dutch and Maghrebi spellings)
_PHONETIC_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ou", ("u", "oe")), ("ph", ("f",)), ("c", ("k",)), ("k", ("c", "q")), ("y", ("i", "ij")),
    ("ij", ("y",)), ("ss", ("s",)), ("s", ("z", "ss")), ("ch", ("sh", "k")), ("kh", ("k", "h")),
    ("ae", ("a",)), ("ei", ("ai", "ey")), ("dt", ("t",)), ("th", ("t",)), ("x", ("ks",)),
    ("mm", ("m",)), ("e", ("a", "é")), ("é", ("e",)), ("i", ("y", "ie")), ("a", ("e",)),
    ("oo", ("o",)), ("aa", ("a",)),
)  # fmt: skip
# OCR confusions of printed or handwritten letters (GeCo's OCR corruptor, after Christen
# and Vatsalan 2013)
_OCR: tuple[tuple[str, str], ...] = (
    ("m", "rn"), ("rn", "m"), ("d", "cl"), ("cl", "d"), ("w", "vv"), ("h", "li"), ("l", "i"),
    ("i", "l"), ("o", "c"), ("e", "c"), ("u", "v"), ("n", "ri"), ("b", "h"), ("a", "o"),
)  # fmt: skip
# AZERTY (Belgian) keyboard neighbours, letters only
_AZERTY_ROWS = ("azertyuiop", "qsdfghjklm", "wxcvbn")
_SUN_LETTERS = frozenset("tdrzsSnlTD")
_POSTCODES = (
    "1000", "1020", "1030", "1040", "1050", "1060", "1070", "1080", "1081", "1082", "1083",
    "1090", "1120", "1130", "1140", "1150", "1160", "1170", "1180", "1190", "1200", "1210",
)  # fmt: skip
_ORGANISATIONS = (
    "Actiris", "CPAS", "BAPA", "VDAB Brussel", "Fedasil", "NGO", "Mission locale", "OCMW",
)  # fmt: skip


@dataclass(frozen=True)
class CorruptionModel:
    """FEBRL/GeCo-style corruption rates (docs/linkage.md says which are assumptions)."""

    # registrations per person: FEBRL's "poisson"/"zipf" duplicate distributions give
    # many people one record and few more than three
    records_per_person: tuple[float, ...] = (0.42, 0.28, 0.16, 0.09, 0.05)
    # modifications per record (FEBRL's "max modifications per record", here a distribution)
    modifications: tuple[float, ...] = (0.25, 0.4, 0.25, 0.1)
    # which field a modification hits (FEBRL's field_names_prob: names 0.3 each)
    field_weights: dict[str, float] = field(
        default_factory=lambda: {
            "given": 0.28, "surname": 0.28, "birth_date": 0.24, "postcode": 0.1, "phone": 0.1,
        }
    )  # fmt: skip
    # which corruptor a name modification uses (GeCo's corruptor selection)
    name_corruptors: dict[str, float] = field(
        default_factory=lambda: {
            "keyboard": 0.22, "phonetic": 0.2, "ocr": 0.08, "edit": 0.17, "missing": 0.1,
            "swap": 0.13, "token": 0.1,
        }
    )  # fmt: skip
    date_corruptors: dict[str, float] = field(
        default_factory=lambda: {
            "missing": 0.3, "placeholder": 0.2, "partial": 0.12, "day_month": 0.12,
            "digit": 0.16, "year": 0.1,
        }
    )  # fmt: skip
    # a person's documents carry a placeholder date (1 January) on every record
    documents_placeholder: float = 0.06
    # a record's spelling is the one on the person's documents; else the clerk's system
    documents_spelling: float = 0.55
    geminate_single: float = 0.3  # a doubled consonant written single
    vowel_shift: float = 0.5  # a short vowel written with its other value (u/o, i/e, a/e)
    household: float = 0.2  # people with relatives in the data (same address and phone)
    postcode_moved: float = 0.1  # real change between registrations, not an error
    phone_changed: float = 0.15
    phone_missing: float = 0.25


@dataclass(frozen=True)
class _Origin:
    name: str
    share: float
    script: str
    male: tuple[str, ...]
    female: tuple[str, ...]
    family: tuple[str, ...] | None  # None: the father's given name is the family name
    formed: float = 0.0  # share of family names composed from syllables
    article: float = 0.0  # share of composed family names with the Arabic article
    syllables: tuple[tuple[str, ...], ...] = ()  # first, middle, last


@functools.cache
def _origins() -> tuple[_Origin, ...]:
    text = resources.files("passerelle.core.linkage").joinpath("data/independent_population.yaml")
    data: dict[str, Any] = yaml.safe_load(text.read_text(encoding="utf-8"))["origins"]
    origins = []
    for name, entry in data.items():
        family = entry["family"]
        origins.append(
            _Origin(
                name=name,
                share=float(entry["share"]),
                script=entry["script"],
                male=tuple(entry["male"].split()),
                female=tuple(entry["female"].split()),
                family=None if family == "patronymic" else tuple(_family_names(family)),
                formed=float(entry.get("formed", 0.0)),
                article=float(entry.get("article", 0.0)),
                syllables=tuple(tuple(part.split()) for part in entry.get("syllables", ())),
            )
        )
    return tuple(origins)


def _family_names(text: str) -> list[str]:
    """Family names of a Latin-script list: particles (El, De, Van den) stay attached."""
    words = text.split()
    names: list[str] = []
    particles = {"el", "de", "van", "den", "der", "le", "la"}
    pending: list[str] = []
    for word in words:
        pending.append(word)
        if word.lower() not in particles:
            names.append(" ".join(pending))
            pending = []
    return names


@functools.cache
def _zipf(count: int) -> tuple[float, ...]:
    weights = [1.0 / rank for rank in range(1, count + 1)]
    total = sum(weights)
    cumulative, running = [], 0.0
    for weight in weights:
        running += weight / total
        cumulative.append(running)
    return tuple(cumulative)


def _draw(names: tuple[str, ...], rng: random.Random) -> str:
    return rng.choices(names, cum_weights=_zipf(len(names)))[0]


def _systems(script: str) -> dict[str, dict[str, tuple[str, ...]]]:
    return {"arabic": _ARABIC, "somali": _SOMALI, "cyrillic": _CYRILLIC}.get(script, {})


def _romanise_word(word: str, table: dict[str, tuple[str, ...]], model: CorruptionModel,
                   rng: random.Random) -> str:  # fmt: skip
    out: list[str] = []
    i = 0
    while i < len(word):
        ch = word[i]
        if i + 1 < len(word) and word[i + 1] == ch and ch not in "aiuAIU":
            # a geminate: written once or twice
            spelling = _phoneme(ch, table, model, rng)
            out.append(spelling if rng.random() < model.geminate_single else spelling * 2)
            i += 2
            continue
        out.append(_phoneme(ch, table, model, rng))
        i += 1
    return "".join(out)


def _phoneme(ch: str, table: dict[str, tuple[str, ...]], model: CorruptionModel,
             rng: random.Random) -> str:  # fmt: skip
    options = table.get(ch)
    if options is None:
        return ch.lower()
    if len(options) > 1 and ch in "uia" and rng.random() >= model.vowel_shift:
        return options[0]
    return rng.choice(options)


def _article(following: str, rng: random.Random) -> tuple[str, str]:
    """An Arabic article before `following` (phonemic): its spelling and the joint."""
    sun = following[:1] in _SUN_LETTERS
    roll = rng.random()
    if sun and roll < 0.2:  # assimilated: ash-Shami, es-Sayyid, Assayed
        return rng.choice(("a", "e")) + following[0].lower(), "-"
    return rng.choice(("al", "al", "el", "ul", "Al")), rng.choice(("-", " ", ""))


def romanise(phonemic: str, script: str, system: str, model: CorruptionModel,
             rng: random.Random) -> str:  # fmt: skip
    """One name written in `system` of `script` (a Latin-script name is returned as is)."""
    if script == "latin":
        return phonemic
    if script == "ethiopic":
        return _ethiopic(phonemic, rng).capitalize()
    table = _systems(script)[system]
    parts = phonemic.split("_")
    written: list[str] = []
    for part in parts:
        if part.startswith("al-"):
            rest = part[3:]
            if rng.random() < 0.15:  # the article left out
                written.append(_romanise_word(rest, table, model, rng).capitalize())
                continue
            article, joint = _article(rest, rng)
            word = _romanise_word(rest, table, model, rng)
            written.append(
                article.capitalize() + joint + (word if joint == "" else word.capitalize())
            )
        else:
            word = _romanise_word(part, table, model, rng)
            if system == "french" and word[-1:] in {"n", "m"} and rng.random() < 0.2:
                word += "e"  # Abderrahmane, Soufiane
            written.append(word.capitalize())
    if len(written) > 1 and rng.random() < 0.5:  # Abd al-Rahman / Abdelrahman
        return written[0] + "".join(
            w.lower().replace(" ", "").replace("-", "") for w in written[1:]
        )
    return " ".join(written)


def _ethiopic(name: str, rng: random.Random) -> str:
    for source, targets in _ETHIOPIC_RULES:
        if source in name and rng.random() < ETHIOPIC_RATE * 2:
            name = name.replace(source, rng.choice(targets), 1)
    if len(name) > 8 and rng.random() < 0.3:  # Gebremedhin / Gebre Medhin
        for head in ("gebre", "tekle", "wolde", "habte", "haile", "gabre", "walde"):
            if name.startswith(head):
                return head + rng.choice((" ", "-")) + name[len(head) :]
    return name


@dataclass
class _Person:
    person_id: int
    origin: _Origin
    sex: str
    given: str  # phonemic or Latin
    family: list[str]  # one or more names (father, grandfather for patronymic origins)
    birth: dt.date
    placeholder: bool
    postcode: str
    phone: str
    system: str  # the romanisation on the person's documents


def _birth(rng: random.Random, around: int | None = None) -> dt.date:
    if around is None:
        year = int(rng.triangular(1955, 2024, 1992))
    else:
        year = max(1940, min(2024, around + rng.randint(-35, 35)))
    return dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(365))


def _phone(rng: random.Random) -> str:
    return "04" + "".join(rng.choice("0123456789") for _ in range(8))


def _new_person(person_id: int, rng: random.Random, model: CorruptionModel,
                relative: _Person | None) -> _Person:  # fmt: skip
    origins = _origins()
    origin = relative.origin if relative else rng.choices(origins, [o.share for o in origins])[0]
    sex = rng.choice("mf")
    given = _draw(origin.male if sex == "m" else origin.female, rng)
    if origin.family is None:  # patronymic: father's and often grandfather's names
        if relative is not None and rng.random() < 0.6:
            family = [relative.given] if relative.sex == "m" else list(relative.family)
        else:
            family = [_draw(origin.male, rng)]
        if rng.random() < 0.5:
            family.append(_draw(origin.male, rng))
    elif relative is not None and rng.random() < 0.8:
        family = list(relative.family)
    elif origin.syllables and rng.random() < origin.formed:
        first, middle, last = origin.syllables
        name = rng.choice(first) + (rng.choice(middle) if rng.random() < 0.6 else "")
        name += rng.choice(last)
        family = [("al-" if rng.random() < origin.article else "") + name]
    else:
        family = [_draw(origin.family, rng)]
    systems = list(_systems(origin.script)) or ["latin"]
    return _Person(
        person_id=person_id,
        origin=origin,
        sex=sex,
        given=given,
        family=family,
        birth=_birth(rng, relative.birth.year if relative else None),
        placeholder=rng.random() < model.documents_placeholder,
        postcode=relative.postcode if relative else rng.choice(_POSTCODES),
        phone=relative.phone if relative else _phone(rng),
        system=rng.choice(systems),
    )


def _keyboard(text: str, rng: random.Random) -> str:
    letters = [i for i, ch in enumerate(text) if ch.lower() in "".join(_AZERTY_ROWS)]
    if not letters:
        return text
    i = rng.choice(letters)
    ch = text[i].lower()
    for row_index, row in enumerate(_AZERTY_ROWS):
        if ch in row:
            j = row.index(ch)
            near = [row[k] for k in (j - 1, j + 1) if 0 <= k < len(row)]
            for other in (row_index - 1, row_index + 1):
                if 0 <= other < len(_AZERTY_ROWS) and j < len(_AZERTY_ROWS[other]):
                    near.append(_AZERTY_ROWS[other][j])
            new = rng.choice(near)
            return text[:i] + (new.upper() if text[i].isupper() else new) + text[i + 1 :]
    return text


def _rule(text: str, rules: tuple[tuple[str, Any], ...], rng: random.Random) -> str:
    lower = text.lower()
    found = [(source, targets) for source, targets in rules if source in lower]
    if not found:
        return text
    source, targets = rng.choice(found)
    target = targets if isinstance(targets, str) else rng.choice(targets)
    starts = [i for i in range(len(lower)) if lower.startswith(source, i)]
    i = rng.choice(starts)
    replaced = text[:i] + target + text[i + len(source) :]
    return replaced[:1].upper() + replaced[1:] if text[:1].isupper() else replaced


def _edit(text: str, rng: random.Random) -> str:
    if len(text) < 2:
        return text
    i = rng.randrange(1, len(text))
    kind = rng.randrange(3)
    if kind == 0:  # a letter left out
        return text[:i] + text[i + 1 :]
    if kind == 1:  # a letter typed twice or one added
        return text[:i] + rng.choice((text[i - 1], rng.choice("aeinorst"))) + text[i:]
    if i < len(text) - 1:  # two letters transposed
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text


def _corrupt_name(text: str, kind: str, rng: random.Random) -> str:
    if kind == "keyboard":
        return _keyboard(text, rng)
    if kind == "phonetic":
        return _rule(text, _PHONETIC_RULES, rng)
    if kind == "ocr":
        return _rule(text, tuple((a, b) for a, b in _OCR), rng)
    if kind == "edit":
        return _edit(text, rng)
    if kind == "missing":
        return ""
    if kind == "token":  # one of several names left out
        words = text.split()
        if len(words) > 1:
            del words[rng.randrange(len(words))]
        return " ".join(words)
    return text


def _render_date(person: _Person, corruptions: list[str], rng: random.Random) -> str:
    day = person.birth
    year, month, date_day = day.year, day.month, day.day
    if person.placeholder:
        month, date_day = 1, 1
    style = rng.random()
    partial = False
    for kind in corruptions:
        if kind == "missing":
            return ""
        if kind == "placeholder":
            month, date_day = 1, 1
        elif kind == "partial":
            partial = True
        elif kind == "day_month" and date_day <= 12:
            month, date_day = date_day, month
        elif kind == "digit":
            digits = list(f"{year:04d}{month:02d}{date_day:02d}")
            i = rng.choice((3, 5, 7, 7, 6))
            digits[i] = rng.choice("0123456789")
            candidate = "".join(digits)
            try:
                dt.date(int(candidate[:4]), int(candidate[4:6]), int(candidate[6:]))
                year, month, date_day = int(candidate[:4]), int(candidate[4:6]), int(candidate[6:])
            except ValueError:
                pass
        elif kind == "year":  # an age-based estimate
            other = year + rng.choice((-1, 1))
            try:  # 29 February in another year does not exist: the year stays
                dt.date(other, month, date_day)
                year = other
            except ValueError:
                pass
    if partial:
        return f"{year:04d}" if rng.random() < 0.7 else f"{year:04d}-{month:02d}"
    if style < 0.5:
        return f"{year:04d}-{month:02d}-{date_day:02d}"
    if style < 0.9:
        return f"{date_day:02d}/{month:02d}/{year:04d}"
    return f"{date_day:02d}.{month:02d}.{year:04d}"


def _phone_text(phone: str, rng: random.Random) -> str:
    style = rng.randrange(3)
    if style == 0:
        return phone
    if style == 1:
        return "+32" + phone[1:]
    return f"{phone[:4]}/{phone[4:6]}.{phone[6:8]}.{phone[8:]}"


def _record(
    person: _Person, model: CorruptionModel, rng: random.Random, errors: list[str]
) -> dict[str, str]:
    """One registration of `person`; the kinds of error injected are appended to `errors`
    (recording them draws nothing, so the data are the same with or without them)."""
    system = person.system
    if rng.random() >= model.documents_spelling:
        system = rng.choice(list(_systems(person.origin.script)) or ["latin"])
    errors.append(f"system:{system}")
    if person.placeholder:
        errors.append("birth_date:documents_placeholder")
    given = romanise(person.given, person.origin.script, system, model, rng)
    family = person.family
    if len(family) > 1 and rng.random() < 0.3:  # grandfather's name left out
        family = family[:1]
        errors.append("surname:grandfather_left_out")
    surname = " ".join(romanise(name, person.origin.script, system, model, rng) for name in family)
    postcode, phone = _contact(person, model, rng, errors)
    count = rng.choices(range(len(model.modifications)), model.modifications)[0]
    fields = rng.choices(list(model.field_weights), list(model.field_weights.values()), k=count)
    date_kinds: list[str] = []
    for target in fields:
        if target in ("given", "surname"):
            kind = rng.choices(list(model.name_corruptors), list(model.name_corruptors.values()))[0]
            errors.append("names:swap" if kind == "swap" else f"{target}:{kind}")
            if kind == "swap":
                given, surname = surname, given
            elif target == "given":
                given = _corrupt_name(given, kind, rng)
            else:
                surname = _corrupt_name(surname, kind, rng)
        elif target == "birth_date":
            date_kinds += rng.choices(
                list(model.date_corruptors), list(model.date_corruptors.values())
            )
            errors.append(f"birth_date:{date_kinds[-1]}")
        elif target == "postcode":
            emptied = rng.random() < 0.6
            postcode = "" if emptied else _keyboard_digit(postcode, rng)
            errors.append("postcode:missing" if emptied else "postcode:typo")
        else:
            emptied = rng.random() < 0.5
            phone = "" if emptied else _keyboard_digit(phone, rng)
            errors.append("phone:missing" if emptied else "phone:typo")
    return {
        "given_name": given,
        "surname": surname.upper() if rng.random() < 0.25 else surname,
        "birth_date": _render_date(person, date_kinds, rng),
        "postcode": postcode,
        "phone": _phone_text(phone, rng) if phone else "",
    }


def _contact(
    person: _Person, model: CorruptionModel, rng: random.Random, errors: list[str]
) -> tuple[str, str]:
    """The postcode and phone as this registration first has them: moved, changed or none."""
    postcode = person.postcode if rng.random() >= model.postcode_moved else rng.choice(_POSTCODES)
    if postcode != person.postcode:
        errors.append("postcode:moved")
    roll = rng.random()
    phone = (
        ""
        if roll < model.phone_missing
        else _phone(rng)
        if roll < model.phone_missing + model.phone_changed
        else person.phone
    )
    if phone != person.phone:
        errors.append("phone:none" if not phone else "phone:new")
    return postcode, phone


def _keyboard_digit(value: str, rng: random.Random) -> str:
    if not value:
        return value
    i = rng.randrange(len(value))
    digit = int(value[i]) if value[i].isdigit() else 0
    return value[:i] + str((digit + rng.choice((-1, 1))) % 10) + value[i + 1 :]


def generate_independent(
    records: int,
    *,
    seed: int = 0,
    model: CorruptionModel | None = None,
    with_errors: bool = False,
) -> pl.DataFrame:
    """About `records` synthetic registrations (exactly `records` rows), with `person_id`.

    The same columns as `synthetic.generate`: record_id, given_name, surname, birth_date,
    postcode, phone, organisation, person_id. Deterministic for a given seed. With
    `with_errors`, one more column, `errors`: the kinds of error injected into the record
    (`field:kind` separated by spaces, and the romanisation system as `system:name`), for
    analysing what the linkage misses; the other columns are the same.
    """
    model = model or CorruptionModel()
    rng = random.Random(seed)
    rows: dict[str, list[str]] = {
        key: []
        for key in (
            "given_name",
            "surname",
            "birth_date",
            "postcode",
            "phone",
            "organisation",
            "person_id",
            "errors",
        )
    }
    person_id = 0
    relatives: list[_Person] = []
    while len(rows["person_id"]) < records:
        relative = relatives.pop() if relatives else None
        person = _new_person(person_id, rng, model, relative)
        if relative is None and rng.random() < model.household:
            relatives = [person] * rng.randint(1, 3)
        person_id += 1
        copies = rng.choices(range(1, len(model.records_per_person) + 1), model.records_per_person)[
            0
        ]
        copies = min(copies, records - len(rows["person_id"]))
        for organisation in rng.sample(_ORGANISATIONS, copies):
            errors: list[str] = []
            record = _record(person, model, rng, errors)
            for key, value in record.items():
                rows[key].append(value)
            rows["errors"].append(" ".join(errors))
            rows["organisation"].append(organisation)
            rows["person_id"].append(f"q{person.person_id:07d}")
    order = list(range(len(rows["person_id"])))
    rng.shuffle(order)
    frame = pl.DataFrame(rows)[order]
    return frame.with_columns(
        pl.Series("record_id", [f"i{i:07d}" for i in range(len(order))])
    ).select("record_id", *(key for key in rows if with_errors or key != "errors"))

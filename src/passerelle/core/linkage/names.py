"""Name normalisation for transliterated names (Arabic, Tigrinya/Amharic, Dari/Pashto, Somali).

A name goes through four steps, all pure functions over strings:

1. `fold`: lower case, accents and apostrophes (ʿ ' ’) removed, punctuation to spaces.
2. `name_tokens`: split into tokens, with particles handled: the article (al-, el-, ad-, ar-,
   as-, glued or not, sun-letter forms such as Essaidi), patronymic particles (bin, ben, ibn,
   bint, ould, wad) dropped, and `abd`/`abdel`/`abdul`/`abd al` joined to the following name
   (Abd al-Rahman, Abdel Rahman and Abdulrahman all give one token); the Dutch and French
   particles of Belgian names (van, de, der, le, …) are joined likewise (Van de Velde =
   Vandevelde), so that they do not count as shared tokens between unrelated names.
3. `canonical`: the token looked up in the variant tables (`data/name_variants.yaml`, sources
   in docs/linkage.md): Mouhamed, Maxamed and Mohammed all become `muhammad`.
4. `skeleton`: a consonant skeleton of the canonical token after phonetic folding (ou → u,
   ch/sh → S, dj → j, kh → k, q → k, x → h, final h after a vowel dropped); vowels are
   removed except that an initial vowel is kept as `a`, and doubled letters collapse
   (Mohamed and Muhammed give `mhmd`; Youssef and Yusuf give `ysf`).

`NameParts` gathers what the linkage compares for a given name and a family name together.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources

import yaml

_APOSTROPHES = re.compile(r"[ʿʾ'’‘`´ʼ]")
_NON_LETTERS = re.compile(r"[^a-z\s-]+")
_SPLIT = re.compile(r"[\s-]+")

ARTICLES = frozenset(
    {"al", "el", "ul", "il", "ad", "ed", "ar", "er", "as", "es", "at", "et", "az", "ez", "ash"}
)
PATRONYMIC_PARTICLES = frozenset({"bin", "ben", "ibn", "bint", "ould", "wuld", "wad", "ben-"})
# Dutch and French particles of Belgian family names, joined to the name that follows as
# Belgian registries often write them (Van de Velde = Vandevelde, De Smet = Desmet).
NAME_PARTICLES = frozenset(
    {"van", "vande", "vanden", "vander", "de", "der", "den", "ter", "ten", "le", "la", "du", "des"}
)
ABD_PARTICLES = frozenset(
    {"abd", "abdel", "abdul", "abdal", "abdol", "abdu", "abdoul", "abdou", "abdel-", "abdil"}
)
_ABD_GLUED = re.compile(r"^ab[dt](?:[aeiou]?l|[aeiou](?=([b-df-hj-np-tv-z])\1)|[aeiou])?(.{3,})$")
_ARTICLE_GLUED = re.compile(r"^(?:al|el|ul)(.{4,})$")
_SUN_LETTER_GLUED = re.compile(r"^[ae]([dnrstz])\1(.{3,})$")

_VOWELS = frozenset("aeiouy")
_FOLDINGS: tuple[tuple[str, str], ...] = (
    ("x", "h"),  # Somali orthography: x is the pharyngeal h (Maxamed = Mohamed)
    # German and Dutch romanisations of dj/zh/sh (Dschamal, Zjenja, Sjarif): consonant
    # classes, not a list of names
    ("dsch", "j"),
    ("dzh", "j"),
    ("zh", "j"),
    ("zj", "j"),
    ("tsch", "S"),
    ("tsj", "S"),
    ("sch", "S"),
    ("sj", "S"),
    ("tch", "S"),
    ("ch", "S"),
    ("sh", "S"),
    ("dj", "j"),
    ("kh", "k"),
    ("gh", "g"),
    ("ph", "f"),
    ("th", "t"),
    ("dh", "d"),
    ("ck", "k"),
    ("q", "k"),
    ("oo", "u"),
    ("ee", "i"),
    # one consonant class each: German and Dutch write j for y (Jusuf, Marjam) and w for v
    # (Kowalenko); after the digraphs above, so dj/zh have become j first
    ("j", "y"),
    ("v", "w"),
)
_C_SOFT = re.compile(r"c(?=[eiy])")
_OU_BEFORE_VOWEL = re.compile(r"ou(?=[aeiy])")
_FINAL_H = re.compile(r"(?<=[aeiou])h$")


@functools.cache
def variant_table() -> dict[str, str]:
    """Spelling → canonical form, from `data/name_variants.yaml` (loaded once)."""
    text = resources.files("passerelle.core.linkage").joinpath("data/name_variants.yaml")
    groups: dict[str, list[str]] = yaml.safe_load(text.read_text(encoding="utf-8"))["groups"]
    table: dict[str, str] = {}
    for canonical_form, spellings in groups.items():
        table[canonical_form] = canonical_form
        for spelling in spellings:
            table[spelling] = canonical_form
    return table


def fold(text: str) -> str:
    """Lower case ASCII letters, spaces and hyphens only (accents and apostrophes removed)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    ascii_only = _APOSTROPHES.sub("", ascii_only).replace("ß", "ss")
    return _NON_LETTERS.sub(" ", ascii_only).strip()


def _strip_glued_article(token: str, table: dict[str, str]) -> str:
    if token in table:
        return token
    for pattern in (_ARTICLE_GLUED, _SUN_LETTER_GLUED):
        match = pattern.match(token)
        if match:
            return "".join(group for group in match.groups() if group)
    return token


def _join_abd(token: str, table: dict[str, str]) -> str:
    if token in table:
        return token
    match = _ABD_GLUED.match(token)
    if match:
        return "abd" + match.group(2)
    return token


@functools.lru_cache(maxsize=200_000)
def name_tokens(text: str) -> tuple[str, ...]:
    """The tokens of one name field, particles handled (see the module docstring)."""
    table = variant_table()
    raw = [token for token in _SPLIT.split(fold(text)) if token]
    tokens: list[str] = []
    i = 0
    while i < len(raw):
        token = raw[i]
        has_next = i + 1 < len(raw)
        if has_next and token in ABD_PARTICLES:
            j = i + 1
            if raw[j] in ARTICLES and j + 1 < len(raw):
                j += 1
            tokens.append("abd" + raw[j])
            i = j + 1
            continue
        if has_next and token in NAME_PARTICLES:
            j = i
            while j + 1 < len(raw) and raw[j] in NAME_PARTICLES:
                j += 1
            tokens.append("".join(raw[i : j + 1]))
            i = j + 1
            continue
        if has_next and (token in ARTICLES or token in PATRONYMIC_PARTICLES):
            i += 1
            continue
        if token in {"abu", "abou", "abo"} and has_next:
            tokens.append("abu" + raw[i + 1])
            i += 2
            continue
        tokens.append(_join_abd(_strip_glued_article(token, table), table))
        i += 1
    return tuple(tokens)


def canonical(token: str) -> str:
    """The canonical spelling of one token (itself when no variant table lists it)."""
    return variant_table().get(token, token)


@functools.lru_cache(maxsize=200_000)
def skeleton(token: str) -> str:
    """The consonant skeleton of one (canonical) token, e.g. muhammad → mhmd."""
    text = _OU_BEFORE_VOWEL.sub("w", token)
    for source, target in _FOLDINGS:
        text = text.replace(source, target)
    text = _C_SOFT.sub("s", text).replace("c", "k").replace("ou", "u")
    text = _FINAL_H.sub("", text)
    if not text:
        return ""
    head, rest = text[0], text[1:]
    if head in _VOWELS and not (head == "y" and rest[:1] in _VOWELS):
        head = "a"
    consonants = head + "".join(ch for ch in rest if ch not in _VOWELS)
    collapsed = [consonants[0]]
    for ch in consonants[1:]:
        if ch != collapsed[-1]:
            collapsed.append(ch)
    return "".join(collapsed)


@dataclass(frozen=True)
class NameParts:
    """What the linkage compares for one person's given name and family name."""

    given: tuple[str, ...]  # canonical tokens of the given name
    surname: tuple[str, ...]  # canonical tokens of the family name

    @functools.cached_property
    def given_text(self) -> str:
        return " ".join(self.given)

    @functools.cached_property
    def surname_text(self) -> str:
        return " ".join(self.surname)

    @functools.cached_property
    def given_skeleton(self) -> str:
        """The skeleton of the whole given name, tokens joined (Mohamed Amine = Mohamedamine)."""
        return skeleton("".join(self.given)) if self.given else ""

    @functools.cached_property
    def surname_skeleton(self) -> str:
        return skeleton("".join(self.surname)) if self.surname else ""

    @functools.cached_property
    def token_skeletons(self) -> tuple[str, ...]:
        """Sorted skeletons of every token of both fields: compares multi-part names as sets."""
        return tuple(sorted({skeleton(token) for token in (*self.given, *self.surname)}))

    @functools.cached_property
    def first_given_skeleton(self) -> str:
        return skeleton(self.given[0]) if self.given else ""

    @functools.cached_property
    def last_surname_skeleton(self) -> str:
        return skeleton(self.surname[-1]) if self.surname else ""


@functools.lru_cache(maxsize=400_000)
def name_parts(given_name: str, surname: str) -> NameParts:
    """Normalise one record's given name and family name."""
    return NameParts(
        given=tuple(canonical(token) for token in name_tokens(given_name)),
        surname=tuple(canonical(token) for token in name_tokens(surname)),
    )

"""Text normalization shared by header matching, group detection and organization matching.

Two strengths:

* :func:`fold` — for matching headers and keywords: no diacritics, lower case, Đ/Ð/ð → d,
  zero-width characters gone, punctuation reduced to spaces (``%``, ``<``, ``>``, ``/``, ``=``,
  ``+`` and parentheses kept as their own tokens), single spaces. "Cấp uỷ viên", "CAP UY VIEN" and the NFD
  form all fold alike.
* :func:`normalize_name` — for organization names: diacritics kept (names differ by tone alone:
  Thủy/Thúy), but NFC, one tone placement (ủy, not uỷ), Đ for its look-alikes, case folded,
  zero-width characters removed, spaces collapsed.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
# Đ and its look-alikes: Icelandic eth (Ð ð), African D (Ɖ ɖ)
_D_LOOKALIKES = str.maketrans({"Ð": "Đ", "ð": "đ", "Ɖ": "Đ", "ɖ": "đ"})
_D_TO_ASCII = str.maketrans({"Đ": "D", "đ": "d", "Ð": "D", "ð": "d", "Ɖ": "D", "ɖ": "d"})
_SPACES = re.compile(r"\s+")
_FOLD_KEEP = re.compile(r"([%<>/=+()])")
_FOLD_DROP = re.compile(r"[^0-9a-z%<>/=+() ]+")

# Vietnamese tone marks, as combining characters in NFD
_TONES = "\u0300\u0301\u0303\u0309\u0323"
_VOWELS = "aeiouy"
_WORD = re.compile(r"[^\W\d_]+")


_UNTIDY = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\u00a0\u202f\u2009\t\n\r\f\v]|  ")
_UNTIDY_CHAR = re.compile(_UNTIDY.pattern.removesuffix("|  "))  # the same test without "  ": scans faster


def clean(text: object) -> str:
    """A cell's text as shown: NFC, no zero-width characters, single spaces, trimmed."""
    if text is None:
        return ""
    s = str(text)
    # most cells are already tidy: two C-level checks instead of the full treatment
    if unicodedata.is_normalized("NFC", s) and not _UNTIDY.search(s):
        return s.strip()
    # zero-width characters go first: between a letter and its combining mark they would stop NFC
    # from composing the two, and "Thu\u200b\u0309y" would not equal "Thủy"
    s = unicodedata.normalize("NFC", str(text).translate(_ZERO_WIDTH))
    s = s.replace("\u00a0", " ").replace("\u202f", " ").replace("\u2009", " ")
    return _SPACES.sub(" ", s).strip()


def clean_all(texts: list[str]) -> list[str]:
    """``clean`` of each text, for a column of cells at once.

    Each distinct text is tidied once; when all of them are already tidy (nearly always) that is checked in
    one go on the texts joined by NUL, which changes neither check's answer (it combines with no neighbour).
    """
    distinct = list(dict.fromkeys(texts))
    joined = "\0".join(distinct)
    if unicodedata.is_normalized("NFC", joined) and "  " not in joined and not _UNTIDY_CHAR.search(joined):
        if len(distinct) == len(texts):
            return list(map(str.strip, texts))
        tidy = dict(zip(distinct, map(str.strip, distinct), strict=True))
    else:
        tidy = {t: clean(t) for t in distinct}
    return list(map(tidy.__getitem__, texts))


@lru_cache(maxsize=65_536)
def fold(text: str) -> str:
    """Fold text for matching: no diacritics, lower case, tidy spaces (see module docstring)."""
    s = clean(text).translate(_D_TO_ASCII)
    s = unicodedata.normalize("NFD", s)
    s = "".join(ch for ch in s if not unicodedata.combining(ch)).lower()
    s = _FOLD_KEEP.sub(r" \1 ", s)
    s = _FOLD_DROP.sub(" ", s)
    return _SPACES.sub(" ", s).strip()


def _retone_word(word: str) -> str:
    """Put the tone of an open syllable ending in oa/oe/uy on its first vowel (hoà → hòa, uỷ → ủy)."""
    nfd = unicodedata.normalize("NFD", word)
    tone = next((ch for ch in nfd if ch in _TONES), None)
    if tone is None:
        return word
    base = "".join(ch for ch in nfd if ch not in _TONES)
    plain = "".join(ch for ch in base if not unicodedata.combining(ch)).lower()
    for pair in ("oa", "oe", "uy"):
        if plain.endswith(pair) and not (pair == "uy" and plain.endswith("quy")):
            # index in ``base`` of the pair's first vowel
            letters = [i for i, ch in enumerate(base) if not unicodedata.combining(ch)]
            if len(letters) < 2:
                return word
            first = letters[-2]
            # a combining mark belonging to the first vowel (none for o/u in these pairs) stays
            j = first + 1
            while j < len(base) and unicodedata.combining(base[j]):
                j += 1
            rebuilt = base[:j] + tone + base[j:]
            return unicodedata.normalize("NFC", rebuilt)
    return word


@lru_cache(maxsize=65_536)
def normalize_name(text: str) -> str:
    """Normalize an organization name for matching while keeping its diacritics."""
    s = clean(text).translate(_D_LOOKALIKES)
    s = _WORD.sub(lambda m: _retone_word(m.group(0)), s)
    return unicodedata.normalize("NFC", s).casefold()


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not clean(value))


def col_letter(index: int) -> str:
    """0-based column index → Excel letters (0 → A, 26 → AA)."""
    out = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def a1(row: int, col: int) -> str:
    """0-based row and column → A1 reference."""
    return f"{col_letter(col)}{row + 1}"

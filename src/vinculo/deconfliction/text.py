"""Text folding shared by the name, company and address normalisers.

``fold`` turns text into a comparable form: compatibility decomposition (full-width and
ligatures become plain letters), accents and other combining marks dropped, invisible format
characters (zero-width spaces and joiners, bidi controls, soft hyphens) dropped, case folded,
Cyrillic/Greek look-alike letters mixed into Latin words mapped to Latin, runs of white space
collapsed.  Letters of other scripts (CJK, Arabic, a wholly Cyrillic word) are kept as they are.
"""

from __future__ import annotations

import unicodedata

# Lower-case Cyrillic and Greek letters that render like a Latin letter (after case folding,
# upper-case look-alikes such as Cyrillic "Н" or Greek "Η" arrive here as "н" and "η").
CONFUSABLES: dict[str, str] = {
    "а": "a", "в": "b", "е": "e", "і": "i", "ј": "j", "к": "k", "м": "m", "н": "h",
    "о": "o", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "һ": "h", "ԁ": "d",
    "ԛ": "q", "ԝ": "w", "ӏ": "l", "ү": "y",
    "α": "a", "β": "b", "ε": "e", "η": "h", "ι": "i", "κ": "k", "μ": "m", "ν": "v", "ο": "o",
    "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ζ": "z", "ϲ": "c", "ϳ": "j",
}
_CONFUSABLE_TABLE = str.maketrans(CONFUSABLES)
_LATIN = frozenset("abcdefghijklmnopqrstuvwxyz")
_APOSTROPHES = dict.fromkeys(map(ord, "'`\u2018\u2019\u02bc\u02bb"), None)


def _strip_marks(text: str) -> str:
    out: list[str] = []
    for ch in unicodedata.normalize("NFKD", text):
        cat = unicodedata.category(ch)
        if cat in ("Mn", "Me", "Cf"):
            continue  # combining marks; zero-width, bidi and other format characters
        if cat[0] in ("Z", "C"):
            out.append(" ")  # separators and control characters become plain spaces
            continue
        out.append(ch)
    return "".join(out)


def _unconfuse(words: list[str]) -> list[str]:
    has_latin = [any(ch in _LATIN for ch in w) for w in words]
    any_latin = any(has_latin)
    out = []
    for word, latin in zip(words, has_latin):
        lookalikes = [ch in CONFUSABLES for ch in word]
        if any(lookalikes) and (latin or (any_latin and all(
                look or not ch.isalpha() for look, ch in zip(lookalikes, word)))):
            word = word.translate(_CONFUSABLE_TABLE)
        out.append(word)
    return out


def fold(text: str) -> str:
    """Accent-, case-, width- and look-alike-insensitive form of ``text``, spaces collapsed."""
    folded = _strip_marks(text).casefold()
    # case folding can produce new combining marks (e.g. dotted capital I): strip them again
    folded = "".join(ch for ch in unicodedata.normalize("NFKD", folded)
                     if unicodedata.category(ch) != "Mn")
    return " ".join(_unconfuse(folded.split()))


def words(text: str, keep: str = "") -> list[str]:
    """Folded alphanumeric words of ``text``.

    Apostrophes are removed inside words ("O'Brien" -> "obrien"); every other character that is
    not a letter, a digit or in ``keep`` separates words.
    """
    folded = fold(text).translate(_APOSTROPHES)
    cleaned = "".join(ch if ch.isalnum() or ch in keep else " " for ch in folded)
    return cleaned.split()

"""A small Spanish-aware phonetic code for (folded) name words.

English algorithms (Soundex, Metaphone) mangle Spanish names: they drop vowels, which Spanish
keeps stable, and miss its common spelling equivalences.  This code keeps vowels and merges the
letters Spanish speakers write interchangeably: b/v/w, c(e,i)/s/z, c/k/qu, g(e,i)/j, gu(e,i)/g,
ll/y, silent h, rr/r and doubled letters; y before a consonant or at the end is the vowel i; x at
the start of a word is j (Ximénez/Jiménez, Xavier/Javier).  So "Guzmán" and "Gusman" give
GUSMAN, "Joaquín" and "Joakin" give JOAKIN, "Vázquez" and "Basques" give BASKES.

Words that are not plain a-z letters and digits (other scripts) are returned unchanged.
"""

from __future__ import annotations

_VOWELS = frozenset("aeiou")
_FRONT = frozenset("ei")
_SIMPLE = {"b": "B", "v": "B", "w": "B", "s": "S", "z": "S", "j": "J", "k": "K", "h": ""}


def _code(word: str) -> list[str]:
    out: list[str] = []
    n = len(word)
    i = 0
    while i < n:
        ch = word[i]
        nxt = word[i + 1] if i + 1 < n else ""
        after = word[i + 2] if i + 2 < n else ""
        step = 1
        if ch in _SIMPLE:
            code = _SIMPLE[ch]
        elif ch == "c":
            if nxt == "h":
                code, step = "X", 2
            else:
                code = "S" if nxt in _FRONT and nxt else "K"
        elif ch == "q":
            code = "K"
            if nxt == "u":
                step = 2
        elif ch == "g":
            if nxt in _FRONT and nxt:
                code = "J"
            else:
                code = "G"
                if nxt == "u" and after in _FRONT and after:
                    step = 2
        elif ch == "l" and nxt == "l":
            code, step = "Y", 2
        elif ch == "y":
            code = "Y" if nxt in _VOWELS and nxt else "I"
        elif ch == "x":
            code = "J" if i == 0 else "KS"
        elif ch == "p" and nxt == "h":
            code, step = "F", 2
        elif ch == "t" and nxt == "h":
            code, step = "T", 2
        else:
            code = ch.upper()
        if code and not (out and out[-1] == code):
            out.append(code)
        i += step
    return out


def spanish_phonetic(word: str) -> str:
    """Phonetic code of one folded word (see module docstring)."""
    if not word.isascii() or not word.isalnum():
        return word
    return "".join(_code(word.lower()))

"""Company names without their legal form.

"Química Delta, S.A. de C.V.", "QUIMICA DELTA SA DE CV" and "Quimica Delta" all become
``quimica delta``.  Dots are deleted before splitting ("S.A." -> "sa", "C.V." -> "cv"), other
punctuation separates words, "&" reads "and", and legal-form suffixes (Mexican, US, UK, German,
Spanish, Chinese ...) are removed from the end repeatedly ("Foo Trading Co., Ltd." -> "foo
trading").  Chinese suffixes such as 有限公司 are written without spaces and are removed as a
string suffix.  A name made only of a legal form ("Limited") is kept rather than emptied.
"""

from __future__ import annotations

from vinculo.deconfliction.base import Selector, invalid, ok, too_long
from vinculo.deconfliction.text import fold, words

LEGAL_FORMS: tuple[tuple[str, ...], ...] = tuple(sorted({
    tuple(form.split()) for form in (
        # Mexico and Latin America
        "sa de cv", "sa", "s de rl de cv", "s de rl", "srl de cv", "sapi de cv", "sapi",
        "sab de cv", "sab", "sc", "s en c", "s en c de cv", "sas de cv", "sas", "ac", "de cv",
        "spr de rl", "spr de ri", "sc de rl", "sa de cv sofom enr", "sofom enr", "ltda", "cia",
        "y cia", "eirl", "sociedad anonima", "sociedad anonima de capital variable",
        "sociedad de responsabilidad limitada", "sociedad de responsabilidad limitada de capital variable",
        "sociedad civil", "asociacion civil",
        # English-speaking
        "llc", "l l c", "inc", "incorporated", "corp", "corporation", "co", "company", "ltd",
        "limited", "co ltd", "pte ltd", "pty ltd", "pvt ltd", "private limited", "plc", "llp",
        "lp", "lllp", "pllc", "pc",
        # Europe
        "gmbh", "gmbh co kg", "gmbh and co kg", "ag", "kg", "ohg", "ug", "sl", "slu", "sa",
        "srl", "spa", "sarl", "bv", "nv", "oy", "ab", "as", "aps", "sp z oo", "kft", "doo",
        "ooo", "zao", "oao", "pao",
    )}, key=len, reverse=True))
CJK_SUFFIXES = ("股份有限公司", "有限责任公司", "有限責任公司", "有限公司", "株式会社", "(株)", "公司")


def _strip_forms(tokens: list[str]) -> list[str]:
    changed = True
    while changed and tokens:
        changed = False
        for form in LEGAL_FORMS:
            k = len(form)
            if len(tokens) > k and tuple(tokens[-k:]) == form:
                tokens = tokens[:-k]
                changed = True
                break
    return tokens


def _strip_cjk(text: str) -> str:
    for suffix in CJK_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)].rstrip()
    return text


def company_key(raw: str, strip_cjk_suffix: bool = True) -> str:
    """Canonical company name ("" if nothing comparable is left)."""
    text = fold(raw).replace(".", "").replace("&", " and ").replace("+", " and ")
    if strip_cjk_suffix:
        text = _strip_cjk(text)
    tokens = words(text)
    if tokens and tokens[0] == "the" and len(tokens) > 1:
        tokens = tokens[1:]
    tokens = _strip_forms(tokens)
    if strip_cjk_suffix and tokens:
        tokens[-1] = _strip_cjk(tokens[-1])
    return " ".join(tokens)


def company(raw: str, strip_cjk_suffix: bool = True) -> Selector:
    """``company`` selector of a company (or any organisation) name."""
    if (refused := too_long("company", raw)) is not None:
        return refused
    key = company_key(raw, strip_cjk_suffix)
    if not key:
        return invalid("company", raw, "no letters or digits in the name")
    return ok("company", key)

#!/usr/bin/env python3
"""`make i18n`: extract the web UI's strings, update the English and Spanish catalogs, compile them.

    python scripts/i18n.py            # extract + update + compile
    python scripts/i18n.py compile    # compile only (.po -> .mo, shipped in the package)

Translators edit src/vinculo/web/locale/es/LC_MESSAGES/messages.po; the tests fail while any string of
the UI has no Spanish translation or a .mo is older than its .po.
"""

from __future__ import annotations

import copy
import sys
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

WEB = Path(__file__).resolve().parent.parent / "src" / "vinculo" / "web"
LOCALES = WEB / "locale"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def extract() -> Catalog:
    with open(WEB / "babel.cfg", encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    catalog = Catalog(project="vinculo", charset="utf-8")
    for _, _, message, comments, context in extract_from_dir(str(WEB), method_map, options_map, keywords=KEYWORDS):
        catalog.add(message, None, auto_comments=comments, context=context)
    return catalog


def _po(locale: str) -> Path:
    return LOCALES / locale / "LC_MESSAGES" / "messages.po"


def read(locale: str) -> Catalog:
    with open(_po(locale), "rb") as fh:
        return read_po(fh, locale=locale)


def update(template: Catalog) -> None:
    for locale in ("en", "es"):
        path = _po(locale)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            catalog = read(locale)
            # each catalog gets its own copy: update() shares the template's new messages, and English
            # fills them in below (which would otherwise leak English into the Spanish catalog)
            catalog.update(copy.deepcopy(template), no_fuzzy_matching=True)
            catalog.obsolete.clear()
        else:
            catalog = Catalog(locale=locale, project="vinculo", charset="utf-8")
            for message in template:
                if message.id:
                    catalog.add(message.id, None)
        if locale == "en":  # English is the source language: each string translates to itself
            for message in catalog:
                if message.id and not message.string:
                    message.string = message.id
        with open(path, "wb") as fh:
            write_po(fh, catalog, omit_header=False, sort_output=True, width=110)


def mo_bytes(locale: str) -> bytes:
    buffer = BytesIO()
    write_mo(buffer, read(locale), use_fuzzy=False)
    return buffer.getvalue()


def compile_all() -> None:
    for locale in ("en", "es"):
        (_po(locale).with_suffix(".mo")).write_bytes(mo_bytes(locale))


def main(argv: list[str]) -> None:
    if not argv or argv[0] != "compile":
        update(extract())
    compile_all()
    missing = [m.id for m in read("es") if m.id and not m.string]
    if missing:
        print(f"{len(missing)} strings have no Spanish translation yet:", *missing, sep="\n  ")


if __name__ == "__main__":
    main(sys.argv[1:])

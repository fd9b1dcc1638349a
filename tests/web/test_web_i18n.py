"""Every string of the web UI has a Spanish translation, and the shipped .mo files match the .po files."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from babel.messages.mofile import read_mo

from vinculo.web import forms, labels
from vinculo.web.i18n import LOCALE_DIR, translations

ROOT = Path(__file__).resolve().parents[2]
CORE_TYPES = ("seizure", "shipment", "lab", "person", "organization", "vehicle", "phone", "location",
              "relationship", "note")


def _tool():
    spec = importlib.util.spec_from_file_location("i18n_tool", ROOT / "scripts" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_extracted_string_is_translated():
    tool = _tool()
    spanish = {m.id: m.string for m in tool.read("es") if m.id}
    extracted = [m.id for m in tool.extract() if m.id]
    assert len(extracted) > 200
    missing = [s for s in extracted if not spanish.get(s)]
    assert not missing, f"run `make i18n` and translate: {missing}"


def test_compiled_catalogs_match_their_po_files():
    tool = _tool()
    for locale in ("en", "es"):
        with open(LOCALE_DIR / locale / "LC_MESSAGES" / "messages.mo", "rb") as fh:
            shipped = {m.id: m.string for m in read_mo(fh) if m.id}
        source = {m.id: m.string for m in tool.read(locale) if m.id and m.string}
        assert shipped == source, f"{locale}: messages.mo is stale; run `make i18n`"


def test_every_field_of_the_core_types_has_a_label():
    for record_type in CORE_TYPES:
        for i in forms.body_inputs(record_type):
            assert i.name in labels.FIELDS, f"{record_type}.{i.name} has no translatable label"
    assert translations("es").gettext(labels.FIELDS["date"]) == "Fecha"


def test_updating_the_catalogs_leaves_new_spanish_strings_untranslated(tmp_path, monkeypatch):
    """English fills new strings with themselves; Spanish must get them empty (to be translated)."""
    import shutil

    from babel.messages.catalog import Catalog

    tool = _tool()
    shutil.copytree(LOCALE_DIR, tmp_path / "locale")
    monkeypatch.setattr(tool, "LOCALES", tmp_path / "locale")
    template = tool.extract()
    template.add("A string added by a test")
    tool.update(template)
    assert {m.id: m.string for m in tool.read("en")}["A string added by a test"] == "A string added by a test"
    assert {m.id: m.string for m in tool.read("es")}["A string added by a test"] == ""
    assert isinstance(template, Catalog)

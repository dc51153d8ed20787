"""The polib fallback compiles the catalogues to the same translations as GNU msgfmt."""

import gettext
import shutil
import subprocess

import polib

from live.i18n_compile import LOCALE, compile_catalogues


def _translations(path):
    with open(path, "rb") as handle:
        return gettext.GNUTranslations(handle)


def test_polib_fallback_matches_msgfmt(tmp_path):
    shutil.copytree(LOCALE, tmp_path / "locale")
    written = compile_catalogues(tmp_path / "locale")
    assert {p.parent.parent.name for p in written} == {"vi", "en"}
    checked = 0
    for mo_path in written:
        po_path = mo_path.with_suffix(".po")
        reference = tmp_path / f"{mo_path.parent.parent.name}-msgfmt.mo"
        subprocess.run(["msgfmt", "-o", str(reference), str(po_path)], check=True)  # noqa: S607
        ours, theirs = _translations(mo_path), _translations(reference)
        for entry in polib.pofile(str(po_path)).translated_entries():
            if entry.msgid_plural:
                continue
            key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
            assert ours.gettext(key) == theirs.gettext(key) == entry.msgstr
            checked += 1
    assert checked > 50  # the Vietnamese catalogue alone has more

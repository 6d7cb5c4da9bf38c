"""The Chinese catalogue: complete, consistent, compiled without system gettext."""

import io
import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command

PO_PATH = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")


def test_every_string_has_a_chinese_translation():
    catalogue = polib.pofile(str(PO_PATH))
    untranslated = [e.msgid for e in catalogue.untranslated_entries()]
    fuzzy = [e.msgid for e in catalogue.fuzzy_entries()]
    assert untranslated == [], "run `make messages` and translate these"
    assert fuzzy == [], "review these fuzzy translations"


def test_translations_keep_their_placeholders():
    catalogue = polib.pofile(str(PO_PATH))
    for entry in catalogue.translated_entries():
        # A plural entry keeps its forms in msgstr_plural (Chinese has one form).
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for translation in translations:
            assert sorted(set(PLACEHOLDER.findall(entry.msgid))) == sorted(
                set(PLACEHOLDER.findall(translation))
            ), entry.msgid


def test_compiletranslations_writes_the_catalogue_django_reads(tmp_path, settings):
    locale = tmp_path / "zh_Hans" / "LC_MESSAGES"
    locale.mkdir(parents=True)
    (locale / "django.po").write_bytes(PO_PATH.read_bytes())
    settings.LOCALE_PATHS = [tmp_path]
    call_command("compiletranslations", stdout=io.StringIO())
    compiled = polib.mofile(str(locale / "django.mo"))
    assert compiled.find("Log in").msgstr == "登录"


@pytest.mark.django_db
def test_the_portal_speaks_chinese_by_default(client):
    body = client.get("/login/").content.decode()
    assert "石泉县城镇老旧小区改造工作" in body
    assert '<html lang="zh-hans">' in body

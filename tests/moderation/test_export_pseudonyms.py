"""Pseudonyms in the export: derived under the key in EXPORT_PSEUDONYM_KEY, stable under one
key, never a real name or username; and what happens without a usable key."""

import hashlib
import hmac
import io
import json
import re
import zipfile

import pytest

from moderation import export
from moderation.models import AuditEvent
from tests.moderation.export_helpers import (
    BUNDLE,
    CODEBOOK,
    COMMENTS_CSV,
    COMMENTS_JSONL,
    KEY,
    LABELS_JSONL,
    OTHER_KEY,
    PAGE,
    PEOPLE,
    content,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pseudonym_key")]


def test_pseudonyms_are_stable_under_one_key_and_differ_under_another(
    researcher_client, tagged, monkeypatch
):
    first = content(researcher_client.get(LABELS_JSONL)) + content(
        researcher_client.get(COMMENTS_JSONL)
    )
    again = content(researcher_client.get(LABELS_JSONL)) + content(
        researcher_client.get(COMMENTS_JSONL)
    )
    monkeypatch.setenv(export.KEY_VARIABLE, OTHER_KEY)
    other = content(researcher_client.get(LABELS_JSONL)) + content(
        researcher_client.get(COMMENTS_JSONL)
    )
    pseudonyms = set(re.findall(rb"\b[cm]-[0-9a-f]{16}\b", first))
    assert len(pseudonyms) == 3 + 2  # Vartan, Ani, the seller; zelda, yorick
    assert pseudonyms == set(re.findall(rb"\b[cm]-[0-9a-f]{16}\b", again))
    assert not pseudonyms & set(re.findall(rb"\b[cm]-[0-9a-f]{16}\b", other))


def test_commenters_and_moderators_are_derived_separately(db):
    names = export.Pseudonyms(export.PseudonymKey(KEY.encode()))
    assert names.commenter("Asbarez", "7") != names.moderator(7).replace("m-", "c-")
    # The same display name on two sites is two people.
    assert names.commenter("Asbarez", "Ani") != names.commenter("The Armenian Report", "Ani")


@pytest.mark.parametrize("key", [KEY, "k" * 64, "a key longer than SHA-256's block " * 3])
def test_a_sites_commenter_pseudonyms_are_the_hmac_of_the_codebook(key):
    """`commenters` builds HMAC-SHA256 by hand (for speed): it must agree with the `hmac`
    module, and with `commenter`, for keys shorter than, as long as and longer than a block."""
    names = export.Pseudonyms(export.PseudonymKey(key.encode()))
    of_site = names.commenters("Հայ Ձայն")
    for name in ["Ani", "Читатель", "", "x" * 200]:
        message = f"commenter:Հայ Ձայն:{name}".encode()
        digest = hmac.new(key.encode(), message, hashlib.sha256).hexdigest()
        assert of_site(name) == names.commenter("Հայ Ձայն", name) == "c-" + digest[:16]


def test_no_real_name_or_username_anywhere_in_the_bundle(researcher_client, researcher, tagged):
    response = researcher_client.get(BUNDLE)
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(content(response)))
    names = archive.namelist()
    assert len(names) == 9  # with datapackage.json, README.md and agreement.py
    for name in names:
        data = archive.read(name).decode()
        for person in [*PEOPLE, researcher.username]:
            assert person.lower() not in name.lower()
            assert person.lower() not in data.lower(), (person, name)
    assert "You are an idiot" in archive.read(names[0]).decode()  # the data is there


# The key


def test_without_a_key_exports_are_refused_saying_how_to_set_it(
    researcher_client, tagged, monkeypatch, settings
):
    settings.DEBUG = False
    monkeypatch.delenv(export.KEY_VARIABLE)
    for url in (PAGE, COMMENTS_CSV, CODEBOOK, BUNDLE):
        response = researcher_client.get(url)
        assert response.status_code == 503
        assert export.KEY_VARIABLE in response.content.decode()
        assert "secrets.token_hex" in response.content.decode()
    assert not AuditEvent.objects.filter(action="export").exists()


def test_a_short_key_is_refused(researcher_client, tagged, monkeypatch):
    monkeypatch.setenv(export.KEY_VARIABLE, "short")
    response = researcher_client.get(COMMENTS_CSV)
    assert response.status_code == 503
    assert "too short" in response.content.decode()


def test_in_debug_a_development_key_is_used_and_the_codebook_says_so(
    researcher_client, tagged, monkeypatch, settings
):
    settings.DEBUG = True
    monkeypatch.delenv(export.KEY_VARIABLE)
    codebook = json.loads(researcher_client.get(CODEBOOK).content)
    assert codebook["pseudonyms"]["development_key"] is True
    assert any("DEVELOPMENT KEY" in warning for warning in codebook["warnings"])
    assert researcher_client.get(COMMENTS_CSV).status_code == 200

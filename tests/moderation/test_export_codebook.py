"""The codebook (what an export holds: counts, columns, definitions, agreement figures), the
data statement, and the bundle that carries them with both tables in both formats."""

import io
import json
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from moderation import audit, export
from moderation.models import AuditEvent
from tests.moderation.export_helpers import (
    BUNDLE,
    CATEGORIES,
    CATEGORY_COLUMNS,
    CODEBOOK,
    content,
    moderator_pseudonym,
    point,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pseudonym_key")]


def test_codebook_describes_the_export(researcher_client, tagged):
    response = researcher_client.get(CODEBOOK)
    codebook = json.loads(response.content)
    assert response["Content-Type"].startswith("application/json")
    assert codebook["software"]["name"] == "discussion-moderation"
    assert codebook["software"]["version"] == export.software_version() != "unknown"
    assert codebook["audit"]["head_hash"] == audit.head_hash()
    assert codebook["audit"]["event_id"] == AuditEvent.objects.get(action="export").pk
    assert codebook["exported_at"].endswith("Z")
    assert codebook["counts"] == {
        "comments": 5,
        "reviewed": 4,
        "reviewed_negatives": 1,
        "unreviewed": 1,
        "labels": 18,
    }
    assert codebook["policies"][0]["text"] == "No profanity, no personal attacks."
    assert codebook["policies"][0]["version"] == 1
    assert [c["slug"] for c in codebook["categories"]] == CATEGORIES
    assert [c["column_name"] for c in codebook["categories"]] == CATEGORY_COLUMNS
    assert all(c["definition"] for c in codebook["categories"])
    columns = [c["name"] for c in codebook["files"]["comments"]["columns"]]
    assert "fraction_<category>" in columns
    assert codebook["files"]["comments"]["category_columns"] == export.comment_columns(CATEGORIES)
    assert [c["name"] for c in codebook["files"]["labels"]["columns"]] == (
        export.LABEL_COLUMN_NAMES
    )
    assert "any_violation" in columns
    assert "datapackage.json" in codebook["files"]["types"]
    for term in (
        "reviewers",
        "label",
        "vote_fraction",
        "majority_label",
        "any_violation",
        "reviewed_negative",
        "csv_quoting",
    ):
        assert codebook["definitions"][term]
    assert set(codebook["definitions"]["review_route"]) == {"queue", "flagged", "sampled"}
    assert set(codebook["data_statement"]) >= {
        "curation_rationale",
        "language_variety",
        "speakers",
        "annotators",
        "speech_situation",
        "provenance",
    }
    assert codebook["pseudonyms"] == {
        "method": export.DEFINITIONS["pseudonyms"],
        "real_names": False,
        "development_key": False,
    }


def test_codebook_agreement_figures(researcher_client, tagged):
    agreement = json.loads(researcher_client.get(CODEBOOK).content)["agreement"]
    alpha = {row["category"]: row["alpha"] for row in agreement["alpha"]}
    # personal-attack: c1 (1, 1) and c3 (0, 1); profanity: c1 (1, 0) and c3 (0, 0).
    assert point(alpha["personal-attack"]) == {"value": 0.0, "items": 2, "reason": None}
    assert point(alpha["profanity"]) == {"value": 0.0, "items": 2, "reason": None}
    # Two comments: an interval (tests/moderation/test_agreement.py), but too few to cite.
    assert alpha["profanity"]["low"] <= 0.0 <= alpha["profanity"]["high"]
    assert alpha["profanity"]["too_few"] is True
    assert alpha["other-inappropriate"]["value"] is None
    assert alpha["other-inappropriate"]["items"] == 2
    assert "no variation" in alpha["other-inappropriate"]["reason"]
    pair = {row["category"]: row for row in agreement["kappa"]}
    assert point(pair["personal-attack"]["kappa"]) == {"value": 0.0, "items": 2, "reason": None}
    assert {pair["profanity"]["moderator_a"], pair["profanity"]["moderator_b"]} == {
        moderator_pseudonym(tagged.zelda),
        moderator_pseudonym(tagged.yorick),
    }


def test_data_statement_without_posting_times_never_prints_none(researcher_client, tagged):
    codebook = json.loads(researcher_client.get(CODEBOOK).content)
    assert codebook["posted_between"] == [None, None]
    statement = codebook["data_statement"]
    assert "None" not in json.dumps(statement)
    assert "posted between" not in statement["speech_situation"]
    assert "no posting time is recorded" in statement["speech_situation"]
    markdown = export.data_statement_markdown(codebook)
    assert "None" not in markdown


def test_data_statement_gives_the_posting_range_and_the_undated(researcher_client, tagged):
    c1, c2 = tagged.comments[:2]
    c1.posted_at = datetime(2024, 3, 1, 21, 30, 5, tzinfo=UTC)
    c2.posted_at = datetime(2024, 5, 2, 12, tzinfo=UTC)
    for comment in (c1, c2):
        comment.save(update_fields=["posted_at"])
    situation = json.loads(researcher_client.get(CODEBOOK).content)["data_statement"][
        "speech_situation"
    ]
    assert "posted between 2024-03-01T21:30:05Z and 2024-05-02T12:00:00Z" in situation
    assert "3 without a recorded posting time" in situation
    dated = json.loads(researcher_client.get(CODEBOOK, {"posted_after": "2024-05-01"}).content)
    situation = dated["data_statement"]["speech_situation"]
    assert "posted on 2024-05-02T12:00:00Z" in situation
    assert "None" not in json.dumps(dated["data_statement"])


def test_docs_describe_every_column():
    docs = (Path(__file__).resolve().parents[2] / "docs" / "export.md").read_text()
    for column in [*export.COMMENT_COLUMNS, *export.LABEL_COLUMNS]:
        assert f"`{column.name}`" in docs, column.name


# The bundle


def test_bundle_holds_both_tables_in_both_formats_a_codebook_and_a_data_statement(
    researcher_client, tagged
):
    archive = zipfile.ZipFile(io.BytesIO(content(researcher_client.get(BUNDLE))))
    names = [re.sub(r"\d{4}-\d\d-\d\d", "DATE", name) for name in archive.namelist()]
    assert names == [
        "comments-DATE.jsonl",
        "comments-DATE.csv",
        "labels-DATE.jsonl",
        "labels-DATE.csv",
        "codebook-DATE.json",
        "data-statement-DATE.md",
        "datapackage.json",
        "README.md",
        "agreement.py",
    ]
    assert archive.testzip() is None
    files = dict(zip(names, archive.namelist(), strict=True))
    codebook = json.loads(archive.read(files["codebook-DATE.json"]))
    assert codebook["counts"]["comments"] == 5
    statement = archive.read(files["data-statement-DATE.md"]).decode()
    assert "## Curation rationale" in statement
    assert "## Provenance" in statement
    labels = archive.read(files["labels-DATE.csv"]).decode().splitlines()
    assert len(labels) == 1 + 18

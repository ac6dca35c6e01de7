"""manage.py export_comments: the same export as /export/, from the command line, audited
under --user."""

import csv
import io
import json
import zipfile

import pytest
from django.core.management import CommandError, call_command

from archive.models import Comment
from moderation import export, services
from moderation.models import AuditEvent, Status
from tests import factories
from tests.moderation.export_helpers import KEY, PEOPLE

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pseudonym_key")]


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("export_comments", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_csv_to_standard_output(tagged, researcher):
    out, err = run("--user", researcher.username, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [int(row["comment_id"]) for row in rows] == [c.pk for c in tagged.comments]
    assert "Exported 5 comments row(s)" in err
    event = AuditEvent.objects.get(action="export")
    assert event.actor == researcher
    assert event.after == {
        "what": "comments.csv",
        "filters": {
            "status": "all",
            "site": None,
            "article": None,
            "category": None,
            "moderator": None,
            "posted_after": None,
            "posted_before": None,
            "reviewed_only": False,
        },
        "rows": {"comments": 5},
        "real_names": False,
    }


def test_standard_output_gets_the_exports_bytes_whatever_its_encoding(tagged, researcher):
    """A standard output with a binary buffer (a shell's) gets the stream's UTF-8 bytes as
    they are, even where its text encoding could not write them; one audit event, as ever."""
    Comment.objects.filter(pk=tagged.comments[1].pk).update(body_text="Համաձայն չեմ")
    buffer = io.BytesIO()
    stdout = io.TextIOWrapper(buffer, encoding="latin-1")  # cannot write Armenian
    call_command(
        "export_comments",
        "--user",
        researcher.username,
        "--format",
        "jsonl",
        stdout=stdout,
        stderr=io.StringIO(),
    )
    expected = b"".join(export.Export.from_query({}).stream("comments", "jsonl"))
    assert buffer.getvalue() == expected
    assert "Հ".encode() in expected
    assert AuditEvent.objects.filter(action="export").count() == 1


def test_jsonl_labels_to_a_file(tagged, researcher, tmp_path):
    target = tmp_path / "labels.jsonl"
    out, _ = run(
        "--user", researcher.username, "--format", "jsonl", "--table", "labels", "--out", target
    )
    rows = [json.loads(line) for line in target.read_text().splitlines()]
    assert len(rows) == 18
    assert f"to {target}" in out
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left behind


def test_zip_bundle_defaults_to_a_dated_file_name(tagged, researcher, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out, _ = run("--user", researcher.username, "--format", "zip")
    assert "Exported 5 comments and 18 labels row(s) to bundle-" in out
    event = AuditEvent.objects.get(action="export")
    assert (event.after["what"], event.after["rows"]) == (
        "bundle.zip",
        {"comments": 5, "labels": 18},
    )
    (bundle,) = tmp_path.iterdir()
    assert bundle.name.startswith("bundle-")
    assert bundle.suffix == ".zip"
    with zipfile.ZipFile(bundle) as archive:
        assert len(archive.namelist()) == 9
        for name in archive.namelist():
            data = archive.read(name).decode().lower()
            for person in [*PEOPLE, researcher.username]:
                assert person.lower() not in data


def test_filters(tagged, admin):
    out, _ = run(
        "--user",
        admin.username,
        "--format",
        "jsonl",
        "--site",
        "Asbarez",
        "--category",
        "personal-attack",
        "--moderator",
        "yorick_mod",
        "--status",
        "pending",
    )
    rows = [json.loads(line) for line in out.splitlines()]
    assert [row["comment_id"] for row in rows] == [tagged.comments[2].pk]
    filters = AuditEvent.objects.get(action="export").after["filters"]
    assert filters["category"] == "Asbarez/personal-attack"
    assert filters["moderator"] == tagged.yorick.pk


@pytest.mark.parametrize("username", ["yorick_mod", "nobody"])
def test_the_moderator_filter_needs_an_admin(tagged, researcher, username):
    """As on the web: a username filter and the codebook's pseudonym of it would map
    usernames to pseudonyms. Refused before the username is looked up, so the answer does
    not tell whether it exists."""
    with pytest.raises(CommandError, match=r"Only an Admin .*--moderator"):
        run("--user", researcher.username, "--format", "csv", "--moderator", username)
    assert not AuditEvent.objects.filter(action="export").exists()


def test_an_admin_may_filter_by_moderator_and_the_codebook_has_the_pseudonym(
    tagged, admin, tmp_path
):
    target = tmp_path / "bundle.zip"
    run("--user", admin.username, "--format", "zip", "--moderator", "zelda_mod", "--out", target)
    with zipfile.ZipFile(target) as archive:
        (name,) = [n for n in archive.namelist() if n.startswith("codebook-")]
        codebook = json.loads(archive.read(name))
    pseudonym = export.Pseudonyms(export.PseudonymKey(KEY.encode())).moderator(tagged.zelda.pk)
    assert codebook["filters"]["moderator"] == pseudonym
    assert AuditEvent.objects.get(action="export").after["filters"]["moderator"] == tagged.zelda.pk


def test_reviewed_only(tagged, researcher):
    out, _ = run("--user", researcher.username, "--format", "jsonl", "--reviewed-only")
    assert len(out.splitlines()) == 4


def test_an_escalation_alone_is_no_review_from_the_command_line_either(tagged, researcher):
    c4 = tagged.comments[3]
    services.decide(tagged.zelda, c4, Status.ESCALATED, expected_version=0)
    out, _ = run("--user", researcher.username, "--format", "jsonl", "--reviewed-only")
    assert c4.pk not in [json.loads(line)["comment_id"] for line in out.splitlines()]
    out, err = run("--user", researcher.username, "--format", "jsonl", "--table", "labels")
    assert "Exported 18 labels row(s)" in err
    assert c4.pk not in {json.loads(line)["comment_id"] for line in out.splitlines()}


def test_the_user_must_be_allowed_to_export(tagged, moderator):
    with pytest.raises(CommandError, match="permission"):
        run("--user", moderator.username, "--format", "csv")
    assert not AuditEvent.objects.filter(action="export").exists()


def test_real_names_need_an_admin(tagged, researcher, admin):
    with pytest.raises(CommandError, match="Only an Admin"):
        run("--user", researcher.username, "--format", "csv", "--real-names")
    out, _ = run("--user", admin.username, "--format", "csv", "--real-names")
    assert "Vartan Hagopian" in out
    assert AuditEvent.objects.get(action="export").after["real_names"] is True


def test_without_a_key_the_command_says_how_to_set_it(tagged, researcher, monkeypatch, settings):
    settings.DEBUG = False
    monkeypatch.delenv(export.KEY_VARIABLE)
    with pytest.raises(CommandError, match=export.KEY_VARIABLE):
        run("--user", researcher.username, "--format", "csv")


@pytest.mark.parametrize(
    ("args", "message"),
    [  # rhea: the `researcher` persona
        (["--user", "nobody", "--format", "csv"], "No user 'nobody'"),
        (["--user", "rhea", "--format", "csv", "--site", "Nowhere"], "No site"),
        (["--user", "rhea", "--format", "csv", "--category", "nope"], "No category"),
        (["--user", "rhea", "--format", "csv", "--posted-after", "soon"], "Invalid"),
        (["--user", "rhea", "--format", "csv", "--out", "/no/such/dir/x.csv"], "No dir"),
    ],
)
def test_bad_input_is_a_command_error(tagged, researcher, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_an_ambiguous_category_needs_the_site(tagged, researcher):
    factories.make_site("The Armenian Report")
    with pytest.raises(CommandError, match="add --site"):
        run("--user", researcher.username, "--format", "csv", "--category", "profanity")

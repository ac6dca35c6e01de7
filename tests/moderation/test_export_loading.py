"""The bundle's tables load in one line with their types: the lines docs/export.md documents
(pandas' read_csv / read_json and `datasets`' load_dataset, with the arguments the bundle's
datapackage.json carries, and the dataset card README.md), run as written on a small export
whose values a guessing reader gets wrong: a position "2.10", an empty text, a text "NA",
nullable ids, two sites' categories (nulls in the other site's columns), times with and
without microseconds. And datapackage.json and the card are made from the columns.

`datasets` is kept offline, its cache in the test's temporary directory."""

import io
import json
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
import yaml

from archive.models import Comment
from moderation import export, services
from moderation.export import schema
from moderation.models import Category, Status
from tests import factories
from tests.moderation.export_helpers import BUNDLE, content

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pseudonym_key")]

DOCS = Path(__file__).resolve().parents[2] / "docs" / "export.md"
DOCS_DATE = "2026-11-22"  # the date of the file names in the documented lines


@pytest.fixture
def tricky(tagged, admin):
    """The tagged set (five comments, one reply, an anonymous one) and, on a second site with
    a category of its own, the values guessing readers get wrong."""
    other = factories.make_site("Second Site", policy_text="No spam.")
    services.add_category(admin, other, name="Spam link", definition="Advertising.")
    article = factories.make_article(other, title="2024", source_url="")
    positions = factories.make_comment(article, "", position="2.10", author="Reader")
    na = factories.make_comment(article, "NA", position="10")
    null = factories.make_comment(article, "null", parent=na, author="0")
    services.decide(tagged.zelda, na, Status.APPROVED, expected_version=0)
    spam = factories.category(other, "spam-link")
    services.tag(tagged.yorick, null, spam, span=(0, 4))
    Comment.objects.filter(pk=positions.pk).update(
        posted_at=datetime(2024, 3, 1, 21, 30, 5, tzinfo=UTC)
    )
    Comment.objects.filter(pk=na.pk).update(
        posted_at=datetime(2024, 3, 1, 21, 30, 5, 120, tzinfo=UTC)
    )
    tagged.empty, tagged.na, tagged.null = positions, na, null
    return tagged


@pytest.fixture
def bundle(researcher_client, tricky, tmp_path, monkeypatch) -> Path:
    """The bundle downloaded and unzipped into bundle-<date>/, as docs/export.md has it; the
    working directory is that folder."""
    response = researcher_client.get(BUNDLE)
    name = re.search(r'filename="(bundle-[0-9-]+)\.zip"', response["Content-Disposition"])
    folder = tmp_path / name.group(1)
    with zipfile.ZipFile(io.BytesIO(content(response))) as archive:
        archive.extractall(folder)
    monkeypatch.chdir(folder)
    return folder


@pytest.fixture
def hf(tmp_path, monkeypatch):
    """`datasets`, offline, with its caches under tmp_path (set before it is imported, and
    on its config should an earlier test have imported it)."""
    home = tmp_path / "hf"
    for name, value in {
        "HF_HOME": str(home),
        "HF_DATASETS_CACHE": str(home / "datasets"),
        "HF_DATASETS_OFFLINE": "1",
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_DISABLE_PROGRESS_BARS": "1",
    }.items():
        monkeypatch.setenv(name, value)
    import datasets

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", home / "datasets")
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(datasets.config, "HF_DATASETS_OFFLINE", True, raising=False)
    return datasets


LOADS = ("pd.read_csv", "pd.read_json", 'load_dataset("csv"', 'load_dataset("json"')


def documented_lines() -> tuple[str, str, dict[str, str]]:
    """docs/export.md's loading block, as three parts: the lines before `f = ` (imports,
    `package`); those after it that are no load (what a load of `f` needs); and each load's
    line by what it calls ("card": the dataset card's)."""
    text = DOCS.read_text()
    block = re.search(r"```python\n(import json\n.*?)```", text, re.S).group(1)
    setup, per_file, loads = [], [], {}
    seen_f = False
    for line in block.splitlines():
        code = line.split("  # ")[0]
        call = next((call for call in LOADS if call in code), None)
        if call:
            loads[call] = code
        elif 'load_dataset("bundle-' in code:
            loads["card"] = code
        elif code.startswith("f = "):
            seen_f = True
        elif code.strip():
            (per_file if seen_f else setup).append(code)
    assert set(loads) == {*LOADS, "card"}
    return "\n".join(setup), "\n".join(per_file), loads


@pytest.fixture
def loads(bundle, hf, monkeypatch):
    """(run a documented load on a table's file, the exported rows as the JSON Lines have
    them). A load runs as written, after the lines that set up `package` and, for a file,
    those that follow `f = `; the file names' date is made the export's."""
    setup, per_file, lines = documented_lines()
    namespace: dict = {}
    exec(setup, namespace)
    date = next(bundle.glob("comments-*.csv")).name.removeprefix("comments-")[:10]

    def load(call: str, table: str | None = None, fmt: str | None = None):
        code = lines[call].replace(DOCS_DATE, date)
        if table is None:  # the card: from the folder that holds the bundle
            with monkeypatch.context() as patch:
                patch.chdir(bundle.parent)
                exec(code, namespace)
            return namespace["ds"]
        namespace["f"] = f"{table}-{date}.{fmt}"
        exec(per_file + "\n" + code, namespace)
        return namespace["df" if code.startswith("df =") else "ds"]

    def rows(table: str) -> list[dict]:
        path = bundle / f"{table}-{date}.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()]

    return load, rows


def by_id(records: list[dict]) -> dict[int, dict]:
    return {record["comment_id"]: record for record in records}


def plain(value):
    """A loaded value as JSON has it: pandas' NA / NaT and NaN None, times as exported."""
    if value is None or value is pd.NA or value != value:
        return None
    if isinstance(value, datetime):
        return export.writers._iso(value)
    if hasattr(value, "item"):  # a numpy scalar
        return value.item()
    return value


# pandas


def test_pandas_reads_the_csv_with_its_types(loads, tricky):
    load, rows = loads
    df = load("pd.read_csv", "comments", "csv")
    assert_comment_types(df, tricky)
    assert df["spans"].map(json.loads).tolist() == [row["spans"] for row in rows("comments")]
    assert_same_rows(df.drop(columns="spans"), rows("comments"), skip={"spans"})


def test_pandas_reads_the_json_lines_with_their_types(loads, tricky):
    load, rows = loads
    df = load("pd.read_json", "comments", "jsonl")
    assert_comment_types(df, tricky)
    assert_same_rows(df, rows("comments"))


def test_pandas_reads_the_labels_in_both_formats_alike(loads):
    load, rows = loads
    from_csv = load("pd.read_csv", "labels", "csv")
    from_jsonl = load("pd.read_json", "labels", "jsonl")
    pd.testing.assert_frame_equal(from_csv, from_jsonl)
    assert str(from_csv["comment_id"].dtype) == "Int64"
    assert str(from_csv["label"].dtype) == "Int64"
    assert str(from_csv["retracted"].dtype) == "boolean"
    assert str(from_csv["labelled_at"].dtype) == "datetime64[us, UTC]"
    assert "personal-attack" in set(from_csv["category"])  # the slug, as it is
    assert_same_rows(from_csv, rows("labels"))


def assert_comment_types(df, tricky):
    rows = df.set_index("comment_id", drop=False)
    empty, na, null = tricky.empty.pk, tricky.na.pk, tricky.null.pk
    assert rows.loc[empty, "position"] == "2.10"
    assert rows.loc[empty, "text"] == ""
    assert (rows.loc[na, "text"], rows.loc[null, "text"]) == ("NA", "null")
    assert rows.loc[null, "parent_id"] == na
    assert str(rows.loc[empty, "posted_at"]) == "2024-03-01 21:30:05+00:00"
    dtypes = {name: str(dtype) for name, dtype in df.dtypes.items()}
    for name in ("comment_id", "article_id", "parent_id", "depth", "reviewers"):
        assert dtypes[name] == "Int64", name
    for name in ("position", "text", "article_title", "author", "status"):
        assert dtypes[name].startswith(("string", "str")), name
    assert dtypes["fraction_spam_link"] == dtypes["any_violation"] == "Float64"
    assert dtypes["reviewed"] == "boolean"
    assert dtypes["posted_at"] == dtypes["decided_at"] == "datetime64[us, UTC]"
    assert df["article_title"].tolist().count("2024") == 3  # a title is never a number


def assert_same_rows(df, exported: list[dict], skip=frozenset()):
    """Every value the frame holds is the one the JSON Lines file holds."""
    loaded = [{name: plain(value) for name, value in row.items()} for row in df.to_dict("records")]
    expected = [{name: v for name, v in row.items() if name not in skip} for row in exported]
    assert loaded == expected


# datasets


def test_datasets_reads_the_csv_with_its_types(loads, tricky):
    load, rows = loads
    ds = load('load_dataset("csv"', "comments", "csv")
    assert_dataset_types(ds, tricky)
    assert ds.features["parent_id"]._type == "Json"  # a pandas integer holds no null
    assert ds.features["posted_at"].dtype == "string"  # nor does datasets' CSV read times
    assert list(ds) == rows("comments")


def test_datasets_reads_the_json_lines_with_their_types(loads, tricky):
    load, rows = loads
    ds = load('load_dataset("json"', "comments", "jsonl")
    assert_dataset_types(ds, tricky)
    assert ds.features["parent_id"].dtype == "int64"
    assert ds.features["posted_at"].dtype == "timestamp[us, tz=UTC]"
    assert [{k: plain(v) for k, v in row.items()} for row in ds] == rows("comments")


def test_datasets_reads_the_bundle_through_its_card(loads, tricky):
    load, rows = loads
    ds = load("card")
    assert_dataset_types(ds, tricky)
    assert ds.features == load('load_dataset("json"', "comments", "jsonl").features
    assert [{k: plain(v) for k, v in row.items()} for row in ds] == rows("comments")


def test_datasets_reads_the_labels_in_both_formats_alike(loads):
    load, rows = loads
    from_csv = load('load_dataset("csv"', "labels", "csv")
    from_jsonl = load('load_dataset("json"', "labels", "jsonl")
    for ds in (from_csv, from_jsonl):
        assert ds.features["comment_id"].dtype == "int64"
        assert ds.features["label"].dtype == "int64"
        assert ds.features["category"].dtype == "string"
        assert ds.features["retracted"].dtype == "bool"
    assert list(from_csv) == rows("labels")
    assert [{k: plain(v) for k, v in row.items()} for row in from_jsonl] == rows("labels")


def assert_dataset_types(ds, tricky):
    rows = {row["comment_id"]: row for row in ds}
    empty, na, null = rows[tricky.empty.pk], rows[tricky.na.pk], rows[tricky.null.pk]
    assert (empty["position"], empty["text"]) == ("2.10", "")
    assert (na["text"], null["text"]) == ("NA", "null")
    assert (null["parent_id"], empty["parent_id"]) == (tricky.na.pk, None)
    assert all(isinstance(pk, int) for pk in rows)
    assert ds.features["comment_id"].dtype == ds.features["article_id"].dtype == "int64"
    assert ds.features["position"].dtype == ds.features["text"].dtype == "string"
    assert ds.features["fraction_spam_link"].dtype == "float64"
    assert ds.features["reviewed"].dtype == "bool"
    assert null["spans"][0]["text"] == "null"


# What they are made from


def test_the_bundle_describes_its_tables_as_a_data_package(bundle, tricky):
    package = json.loads((bundle / "datapackage.json").read_text())
    assert package["$schema"] == schema.PROFILE
    tables = {r["name"]: r for r in package["resources"] if r.get("type") == "table"}
    assert list(tables) == ["comments-jsonl", "comments-csv", "labels-jsonl", "labels-csv"]
    assert {r["name"] for r in package["resources"]} - set(tables) == {
        "codebook",
        "data-statement",
    }
    for resource in package["resources"]:
        assert (bundle / resource["path"]).is_file()
    slugs = ["profanity", "personal-attack", "other-inappropriate", "spam-link"]
    for name, resource in tables.items():
        table, fmt = name.split("-")
        header = (bundle / resource["path"]).read_text().splitlines()[0]
        fields = resource["schema"]["fields"]
        assert [field["name"] for field in fields] == [
            column for column, _ in export.columns.table_columns(table, slugs)
        ]
        if fmt == "csv":
            assert header.split(",") == [field["name"] for field in fields]
        assert resource["format"] == fmt
    comments = {f["name"]: f for f in tables["comments-csv"]["schema"]["fields"]}
    assert comments["position"] == {
        "name": "position",
        "type": "string",
        "description": export.columns.COMMENT_COLUMNS[5].description,
        "constraints": {"required": True},
        "missingValues": [],  # "" is an empty text, never null
    }
    assert comments["text"]["missingValues"] == []
    assert (comments["comment_id"]["type"], comments["parent_id"]["type"]) == ("integer",) * 2
    assert "constraints" not in comments["parent_id"]  # may be null: "" is
    assert comments["fraction_spam_link"]["type"] == comments["any_violation"]["type"] == "number"
    assert (comments["posted_at"]["type"], comments["spans"]["type"]) == ("datetime", "array")
    assert comments["reviewed"]["type"] == "boolean"
    assert tables["comments-csv"]["schema"]["missingValues"] == [""]
    assert tables["comments-csv"]["schema"]["primaryKey"] == ["comment_id"]
    labels = tables["labels-csv"]["schema"]
    assert labels["primaryKey"] == ["comment_id", "moderator", "category"]
    assert labels["foreignKeys"] == [
        {
            "fields": ["comment_id"],
            "reference": {"resource": "comments-csv", "fields": ["comment_id"]},
        }
    ]
    assert tables["labels-jsonl"]["schema"]["foreignKeys"][0]["reference"]["resource"] == (
        "comments-jsonl"
    )


def test_every_column_type_has_a_reader_type():
    """A column of a type the schema cannot map would fail every bundle: caught here."""
    kinds = {
        export.columns.column_type(c)[0] for c in [*export.COMMENT_COLUMNS, *export.LABEL_COLUMNS]
    }
    assert kinds <= set(schema.TABLE_SCHEMA_TYPES)
    assert kinds - {"list"} <= set(schema.PANDAS_DTYPES) == set(schema.DATASETS_DTYPES)


def test_the_dataset_card_holds_the_json_lines_features(bundle, hf):
    card = (bundle / "README.md").read_text()
    front = yaml.safe_load(card.split("---\n")[1])
    package = json.loads((bundle / "datapackage.json").read_text())
    configs = {config["config_name"]: config for config in front["configs"]}
    assert list(configs) == ["comments", "labels"]
    assert configs["comments"]["default"] is True
    for info in front["dataset_info"]:
        (path,) = [d["path"] for d in configs[info["config_name"]]["data_files"]]
        assert path.endswith(".jsonl")
        features = hf.Features.from_dict(package["datasets"][path]["features"])
        assert info["features"] == features._to_yaml_list()
    assert "codebook-" in card
    assert "datapackage.json" in card


def test_slugs_that_differ_in_hyphen_and_underscore_share_their_columns():
    """Two sites' categories: a comment has one site's, so one column holds both."""
    assert export.comment_columns(["a-b", "a_b"]).count("fraction_a_b") == 1
    fields = schema.table_schema("comments", ["a-b", "a_b"])["fields"]
    assert [f["name"] for f in fields].count("majority_a_b") == 1


def test_an_export_refuses_one_sites_categories_that_would_share_columns(tagged):
    """add_category refuses them; data made otherwise is refused before the audit event."""
    Category.objects.create(
        site=tagged.site, slug="personal_attack", name="Personal_attack", definition="!", order=9
    )
    prepared = export.Export.from_query({})
    with pytest.raises(ValueError, match="share the columns named 'personal_attack'"):
        prepared.rows("comments")


def test_yaml_keys_that_yaml_would_misread_are_quoted():
    lines = schema._yaml({"no": 1, "on": [{"y": "n"}], "fraction_a": "2.10", "x-y": True})
    assert yaml.safe_load("\n".join(lines)) == {
        "no": 1,
        "on": [{"y": "n"}],
        "fraction_a": "2.10",
        "x-y": True,
    }

"""What reads the bundle's tables with their types, made from the column definitions
(`columns.table_columns`), so that it cannot drift from the files:

* `datapackage`: datapackage.json, a Frictionless Data Package (v2). A resource per table and
  format with its Table Schema (each field's type, whether it may be null, `missingValues`,
  the primary key, the labels' foreign key to the comments), the codebook and the data
  statement; and, per file, the arguments that read it with those types: `pandas`
  (`read_csv` / `read_json`) and `datasets` (`load_dataset`'s features and CSV options).
* `dataset_card`: README.md, a Hugging Face dataset card whose YAML makes each JSON Lines
  table a configuration with its features, so that `load_dataset(<unzipped bundle>,
  "comments")` reads the types instead of guessing them.

Why the readers need telling: quoting types nothing for pandas, which infers 2.1 from
"2.10" and reads "" (and "NA", "null"…) as missing; `datasets` reads CSV through pandas, and
guesses JSON Lines types from the first rows (a column null in all of them has no type).
So the CSV arguments keep every cell as text but the nullable columns' empty ones
(`keep_default_na=False`, `na_values`), and give each column its type. Two limits of
`datasets`' CSV reader shape its features: a pandas integer column cannot hold a null, so
a nullable integer column is typed `Json` there (its values are ints or None), and it takes
no time type, so times stay text; its JSON Lines reader has neither limit.
"""

import json
import re
from collections.abc import Iterable

from moderation.export.columns import PRIMARY_KEYS, SPAN_FIELDS, column_type, table_columns

PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
MEDIA_TYPES = {"csv": "text/csv", "jsonl": "application/x-ndjson"}
TABLE_SCHEMA_TYPES = {
    "integer": "integer",
    "number": "number",
    "string": "string",
    "boolean": "boolean",
    "datetime": "datetime",
    "list": "array",  # a JSON array; in CSV, its JSON text
}
PANDAS_DTYPES = {
    "integer": "Int64",  # pandas' nullable integers: int64 cannot hold a null
    "number": "Float64",
    "string": "string",
    "boolean": "boolean",
    "datetime": "datetime64[us, UTC]",
}
DATASETS_DTYPES = {
    "integer": "int64",
    "number": "float64",
    "string": "string",
    "boolean": "bool",
    "datetime": "timestamp[us, tz=UTC]",
}


def table_schema(table: str, slugs: Iterable[str], *, comments: str | None = None) -> dict:
    """The Table Schema of a table. An empty cell is null (`missingValues`), except in a
    text column that is never null, where it is the empty text. `comments`: the name of
    the comments resource the labels' comment_id refers to, when the package has one."""
    fields = []
    for name, column in table_columns(table, slugs):
        kind, nullable = column_type(column)
        field = {"name": name, "type": TABLE_SCHEMA_TYPES[kind], "description": column.description}
        if not nullable:
            field["constraints"] = {"required": True}
            if kind == "string":
                field["missingValues"] = []
        fields.append(field)
    schema = {"fields": fields, "missingValues": [""], "primaryKey": PRIMARY_KEYS[table]}
    if table == "labels" and comments:
        schema["foreignKeys"] = [
            {
                "fields": ["comment_id"],
                "reference": {"resource": comments, "fields": ["comment_id"]},
            }
        ]
    return schema


def pandas_arguments(table: str, fmt: str, slugs: Iterable[str]) -> dict:
    """The keyword arguments of `pandas.read_csv` (csv) or `pandas.read_json` (jsonl) that read
    a table with its types."""
    columns = [(name, *column_type(column)) for name, column in table_columns(table, slugs)]
    if fmt == "jsonl":
        dtype = {name: PANDAS_DTYPES[kind] for name, kind, _ in columns if kind != "list"}
        # precise_float: the fractions as written, to the last digit.
        return {"lines": True, "dtype": dtype, "precise_float": True}
    if fmt != "csv":
        raise ValueError(f"no format {fmt!r}")
    return {
        "dtype": {
            name: "string" if kind == "list" else PANDAS_DTYPES[kind]
            for name, kind, _ in columns
            if kind != "datetime"
        },
        "parse_dates": [name for name, kind, _ in columns if kind == "datetime"],
        "date_format": "ISO8601",  # with and without microseconds
        "keep_default_na": False,  # "", "NA", "null" are texts…
        "na_values": {name: [""] for name, _, nullable in columns if nullable},  # …but here
    }


def datasets_features(table: str, fmt: str, slugs: Iterable[str]) -> dict:
    """The features (`datasets.Features.from_dict`'s form) that `load_dataset("csv" or
    "json", ...)` reads a table's file with (see the module's docstring for CSV)."""
    features = {}
    for name, column in table_columns(table, slugs):
        kind, nullable = column_type(column)
        if kind == "list" and fmt == "jsonl":
            features[name] = {
                "_type": "List",
                "feature": {
                    key: {"_type": "Value", "dtype": DATASETS_DTYPES[key_kind]}
                    for key, key_kind in SPAN_FIELDS
                },
            }
        elif fmt == "csv" and (kind == "list" or (kind == "integer" and nullable)):
            features[name] = {"_type": "Json"}  # decoded: the list, the int or None
        elif fmt == "csv" and kind == "datetime":
            features[name] = {"_type": "Value", "dtype": "string"}
        else:
            features[name] = {"_type": "Value", "dtype": DATASETS_DTYPES[kind]}
    return features


def datasets_options(table: str, fmt: str, slugs: Iterable[str]) -> dict:
    """`load_dataset`'s options besides the features: for CSV, which empty cells are null."""
    if fmt == "jsonl":
        return {}
    csv = pandas_arguments(table, "csv", slugs)
    return {"keep_default_na": False, "na_values": csv["na_values"]}


def datapackage(
    *,
    name: str,
    created: str,
    slugs: Iterable[str],
    tables: list[tuple[str, str, str]],
    others: list[dict],
) -> dict:
    """datapackage.json for `tables` ((table, format, file name), in the bundle's order) and
    `others` (resources without a schema, e.g. the codebook)."""
    slugs = list(slugs)
    comments = {fmt: f"comments-{fmt}" for table, fmt, _ in tables if table == "comments"}
    resources = []
    for table, fmt, path in tables:
        resource = {
            "name": f"{table}-{fmt}",
            "type": "table",
            "path": path,
            "format": fmt,
            "mediatype": MEDIA_TYPES[fmt],
            "encoding": "utf-8",
        }
        if fmt == "csv":
            resource["dialect"] = {
                "header": True,
                "delimiter": ",",
                "lineTerminator": "\r\n",
                "quoteChar": '"',
                "doubleQuote": True,
            }
        resource["schema"] = table_schema(table, slugs, comments=comments.get(fmt))
        resources.append(resource)
    return {
        "$schema": PROFILE,
        "name": name,
        "title": "Discussion moderation export",
        "description": "Comments as moderators saw them, with their labels. The codebook "
        "defines every column and term; the data statement says where the text comes from.",
        "created": created,
        "resources": resources + others,
        # Not Frictionless: per file, what reads it with the types above (docs/export.md).
        "pandas": {path: pandas_arguments(table, fmt, slugs) for table, fmt, path in tables},
        "datasets": {
            path: {
                "features": datasets_features(table, fmt, slugs),
                "options": datasets_options(table, fmt, slugs),
            }
            for table, fmt, path in tables
        },
    }


def datapackage_bytes(package: dict) -> bytes:
    return (json.dumps(package, ensure_ascii=False, indent=2) + "\n").encode()


# The dataset card


def dataset_card(
    *,
    title: str,
    slugs: Iterable[str],
    tables: list[tuple[str, str, str]],
    codebook: str,
    statement: str,
) -> str:
    """README.md: a configuration per JSON Lines table (the first the default), its
    features in `dataset_info`, and a few words on what the files are."""
    slugs = list(slugs)
    jsonl = [(table, path) for table, fmt, path in tables if fmt == "jsonl"]
    configs, infos = [], []
    for i, (table, path) in enumerate(jsonl):
        config = {"config_name": table, "data_files": [{"split": "train", "path": path}]}
        if i == 0:
            config["default"] = True
        configs.append(config)
        features = datasets_features(table, "jsonl", slugs)
        infos.append({"config_name": table, "features": _yaml_features(features)})
    front = {"pretty_name": title, "configs": configs, "dataset_info": infos}
    names = ", ".join(f"`{table}`" for table, _ in jsonl)
    return (
        "---\n"
        + "\n".join(_yaml(front))
        + "\n---\n\n"
        + f"# {title}\n\n"
        + f"Comments as moderators saw them, with their labels. `{codebook}` defines every "
        "column and term; `"
        + statement
        + "` says where the text comes from and who labelled it; `datapackage.json` "
        "describes the same tables as a Frictionless Data Package.\n\n"
        + f"The configurations {names} read the JSON Lines files with every column's type "
        "(this card's `dataset_info`):\n\n"
        + "```python\nfrom datasets import load_dataset\n\n"
        + f'comments = load_dataset("path/to/this/folder", "{jsonl[0][0]}", split="train")\n'
        + "```\n\n"
        + "The CSV files hold the same rows for spreadsheets; `datapackage.json` gives the "
        "arguments that read them with pandas or `datasets`.\n"
    )


def _yaml_features(features: dict) -> list[dict]:
    """`Features.from_dict`'s form → the dataset card's (`Features._to_yaml_list`)."""
    items = []
    for name, feature in features.items():
        if feature["_type"] == "List":
            items.append({"name": name, "list": _yaml_features(feature["feature"])})
        elif feature["_type"] == "Json":
            items.append({"name": name, "dtype": "json"})
        else:
            items.append({"name": name, "dtype": feature["dtype"]})
    return items


# YAML 1.1 reads these unquoted words as booleans or null.
_PLAIN_KEY = re.compile(r"(?!(?:y|n|yes|no|on|off|true|false|null)$)[a-z_][a-z0-9_]*")


def _yaml(value, indent: int = 0) -> list[str]:
    """Block-style YAML of dicts, lists and JSON scalars: strings are written as JSON's
    double-quoted strings, which YAML reads the same."""
    pad = "  " * indent
    lines = []
    if isinstance(value, dict):
        for key, item in value.items():
            key = key if _PLAIN_KEY.fullmatch(key) else json.dumps(key)
            if isinstance(item, dict | list) and item:
                lines.append(f"{pad}{key}:")
                lines += _yaml(item, indent + 1)
            else:
                lines.append(f"{pad}{key}: {json.dumps(item, ensure_ascii=False)}")
        return lines
    for item in value:
        if isinstance(item, dict | list) and item:
            first, *rest = _yaml(item, indent + 1)
            lines.append(f"{pad}- {first.lstrip()}")
            lines += rest
        else:
            lines.append(f"{pad}- {json.dumps(item, ensure_ascii=False)}")
    return lines

"""Research exports: the filter, pseudonyms, comment and label rows, their CSV / JSONL / ZIP
writers, and the codebook with its data statement.

Everything streams. Comments are read in one ordered query, CHUNK at a time, and for each
chunk their tags and decisions (and articles not seen yet) in one query each, so the number
of queries grows with the number of chunks, never of rows, and memory stays flat whatever
the size of the export. The figures
that need every row (counts, agreement, the label count written to the audit before a labels
download) are accumulated one comment at a time from two ordered queries over the filtered
set (`Export.summary`, `Export.count`).

What a label is (also written into every codebook, see DEFINITIONS):

* a moderator's judgement of a comment comes from their own actions only: their tags, their
  own latest decision on it and their latest review of it;
* the reviewers of a comment are the distinct moderators who tagged it (tags later retracted
  included: they looked and changed their mind), whose latest decision on it is an
  approval or a removal, or who reviewed it; escalating ("needs a senior look") or sending
  back to pending (an undone removal) judges nothing;
* a reviewer's label for (comment, category) is 1 when they hold a non-retracted tag of that
  category on it, their latest review cites it, or their latest decision on it is a removal
  citing that category; otherwise 0. Another moderator's later decision does not change it:
  an overruled removal stays a 1 against the approver's 0;
* a reviewer has a label for a category only if it was active in the policy version of their
  latest judging action on the comment (a tag, retracted or not, in its own version; their
  latest decision, when a judgement, in the site's version in force at its time): a category
  added after, or retired before, that judgement gets no label from them, not a 0. A
  positive vote (non-retracted tag, removal citing it) is always their 1;
* per category, vote fraction = positive labels / the reviewers who had the category (null
  when none had it); majority label = 1 when the fraction > 0.5; agreement counts only the
  reviewers who had the category;
* a comment is reviewed when it has a reviewer; a reviewed comment without a single positive
  label is a reviewed negative, not missing data; a comment nobody reviewed has `reviewed`
  false and nulls for its labels (its status and decision time are still its own);
* any_violation = the reviewers with at least one positive label, in any category / all
  reviewers (each reviewer once); null when unreviewed;
* decided_at is the time of the decision that left a comment approved or removed: null while
  it is pending or escalated, whatever decisions came before.

`Review` applies these rules in Python to one comment's rows, with `PolicyHistory` (each
site's policy versions, their times and active categories); `judging_decisions()` is the same
reviewer rule as a query, for the "reviewed only" filter.

Pseudonyms are HMAC-SHA256 under EXPORT_PSEUDONYM_KEY, an environment variable kept out of the
database: the same key gives the same pseudonyms in every export, another key others.

The package, by capability (everything public is re-exported here, so
`from moderation.export import X` and `export.X` work as before):

* `keys`: the pseudonym key from the environment, `Pseudonyms`, `ExportUnavailable`;
* `forms`: `ExportFilter` (the queue's filter for exports) and `OptionsForm`;
* `columns`: the tables' columns and `DEFINITIONS`, the dictionary every codebook carries;
* `reviews`: one comment's tags and decisions read as labels (`Review`, `Vote`), `Summary`;
* `table`: the comments read as the database's tuples, a chunk at a time (`read_chunks`),
  and the comments table written from them as JSON Lines or CSV (`CommentTable`), the same
  bytes as the rows `Export.comment_rows()` makes, several times faster;
* `times`: the text every time is written as (`writers._iso`), made by the database in the
  query that reads the comments (`IsoTime`);
* `schema`: what reads the tables with their types, made from `columns`: the bundle's
  datapackage.json (Table Schemas, and per file the pandas and `datasets` arguments) and
  its dataset card (README.md);
* `build`: `Export`, which makes the rows, the downloads and the codebook;
* `statement`: the data statement and the software version;
* `writers`: CSV (every text quoted, null an empty cell), JSON Lines and streamed ZIP
  output, and how times are written;
* `recompute`: the agreement statistics and the script the bundle ships as `agreement.py`
  (no Django; `moderation.agreement` loads it by its path and re-exports it).

Dependencies run one way: `build` imports the others, and none imports `build` (`statement`
and `table` only for a type hint); `schema` imports only `columns`.
"""

# Imported so that it is an attribute of the package, which it would not be if
# moderation.agreement, loading it by its path, came first.
from moderation.export import recompute

# Export reads build.CHUNK: a test that shrinks the chunks patches `export.build.CHUNK`, since
# setting this re-exported copy would change nothing.
from moderation.export.build import CHUNK, Export
from moderation.export.columns import (
    COMMENT_COLUMNS,
    DEFINITIONS,
    LABEL_COLUMN_NAMES,
    LABEL_COLUMNS,
    REVIEW_ROUTES,
    TABLES,
    Column,
    category_column,
    comment_columns,
)
from moderation.export.forms import ExportFilter, OptionsForm, reviewed_q
from moderation.export.keys import (
    DEVELOPMENT_KEY,
    HOW_TO_SET_KEY,
    KEY_VARIABLE,
    MIN_KEY_LENGTH,
    ExportUnavailable,
    PseudonymKey,
    Pseudonyms,
    pseudonym_key,
)
from moderation.export.reviews import (
    DECISION_FIELDS,
    TAG_FIELDS,
    CategoryInfo,
    PolicyHistory,
    Review,
    Summary,
    Vote,
)
from moderation.export.statement import (
    TO_COMPLETE,
    data_statement,
    data_statement_markdown,
    software_version,
)
from moderation.export.writers import (
    CONTENT_TYPES,
    FORMATS,
    ZIP_FLUSH,
    codebook_bytes,
    write_csv,
    write_jsonl,
    write_zip,
)

__all__ = [
    "CHUNK",
    "COMMENT_COLUMNS",
    "CONTENT_TYPES",
    "DECISION_FIELDS",
    "DEFINITIONS",
    "DEVELOPMENT_KEY",
    "FORMATS",
    "HOW_TO_SET_KEY",
    "KEY_VARIABLE",
    "LABEL_COLUMNS",
    "LABEL_COLUMN_NAMES",
    "MIN_KEY_LENGTH",
    "REVIEW_ROUTES",
    "TABLES",
    "TAG_FIELDS",
    "TO_COMPLETE",
    "ZIP_FLUSH",
    "CategoryInfo",
    "Column",
    "Export",
    "ExportFilter",
    "ExportUnavailable",
    "OptionsForm",
    "PolicyHistory",
    "PseudonymKey",
    "Pseudonyms",
    "Review",
    "Summary",
    "Vote",
    "category_column",
    "codebook_bytes",
    "comment_columns",
    "data_statement",
    "data_statement_markdown",
    "pseudonym_key",
    "recompute",
    "reviewed_q",
    "software_version",
    "write_csv",
    "write_jsonl",
    "write_zip",
]

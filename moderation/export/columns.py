"""The two tables' columns and the definitions of their terms: the dictionary every codebook
carries (and docs/export.md repeats)."""

from collections.abc import Iterable
from typing import NamedTuple

from moderation.export.recompute import BOOTSTRAP_DRAWS, BOOTSTRAP_SEED, MIN_ITEMS

TABLES = ("comments", "labels")
REVIEW_ROUTES = {
    "queue": "reviewed in the moderators' everyday work: the queue, a thread, a review",
    "sampled": "in the designed overlap (see `sample`): drawn for a blind second review, or "
    "a gold item",
    "flagged": "reserved: reported by a reader before review (not collected yet)",
}
SAMPLES = {
    "share": "drawn for a blind second review under its site's share when first judged "
    "(see the codebook's sampling)",
    "gold": "a gold item: reference labels set by an Admin, met blind in the Second review stream",
}


class Column(NamedTuple):
    name: str
    type: str
    description: str


COMMENT_COLUMNS = [
    Column("comment_id", "integer", "The comment's id in the dashboard."),
    Column("site", "string", "The site's name."),
    Column("article_id", "integer", "The article's id in the dashboard."),
    Column("article_title", "string", "The article's title."),
    Column("article_url", "string|null", "The article's address as published, when known."),
    Column("position", "string", "The number shown on the page: 2, or 2.1 for its reply."),
    Column("parent_id", "integer|null", "The comment it replies to; null at the top level."),
    Column("depth", "integer", "0 for a top-level comment, 1 for a reply, and so on."),
    Column(
        "author",
        "string|null",
        "The commenter's pseudonym (c-…, per site and display name); null when anonymous. "
        "The display name itself only in an Admin's real-names export.",
    ),
    Column("posted_at", "datetime|null", "When it was posted, UTC (ISO 8601, Z)."),
    Column("source_status", "string", "published, or held (submitted but never shown to readers)."),
    Column("text", "string", "The text exactly as moderators saw it; span offsets index it."),
    Column("text_sha256", "string", "SHA-256 of `text` in UTF-8, hex."),
    Column(
        "reviewed",
        "boolean",
        "Whether it has a reviewer (see definitions): a tag, or an approval or removal as a "
        "moderator's latest decision on it. An escalation alone is no review.",
    ),
    Column(
        "review_route",
        "string|null",
        "How it reached review: queue, or sampled (in the designed overlap); flagged is "
        "reserved. Null if unreviewed.",
    ),
    Column(
        "sample",
        "string|null",
        "Why it is in the designed overlap: share (drawn for a blind second review) or gold "
        "(a gold item); null if it is not. Agreement on the designed overlap uses these "
        "comments' designed labels only (labels: designed).",
    ),
    Column(
        "status",
        "string",
        "Final status: pending, approved, removed or escalated (the comment's state, whether "
        "or not it counts as reviewed).",
    ),
    Column(
        "decided_at",
        "datetime|null",
        "When the decision that left it approved or removed was made, UTC; null while it "
        "is pending or escalated (an undo or an escalation is no decision on it), and for a "
        "comment never decided.",
    ),
    Column("reviewers", "integer", "Number of reviewers (see definitions)."),
    Column(
        "reviewers_<category>",
        "integer|null",
        "One per category, named by its slug with _ for - (reviewers_personal_attack): the "
        "reviewers who had the category when they judged (it was active in the policy "
        "version of their latest judgement, or they voted for it): the denominator of "
        "fraction_<category>, so it can differ between categories. 0 when unreviewed or "
        "nobody had it; null when the category is not one of the comment's site.",
    ),
    Column(
        "fraction_<category>",
        "number|null",
        "One per category (its slug with _ for -): positive labels / reviewers_<category>. "
        "Null when unreviewed, when no reviewer had the category (added after, or retired "
        "before, their judgements: not a 0), or when it is not one of the comment's site.",
    ),
    Column(
        "majority_<category>",
        "integer|null",
        "One per category (its slug with _ for -): 1 when fraction_<category> > 0.5, else 0; "
        "null as above.",
    ),
    Column(
        "any_violation",
        "number|null",
        "The share of its reviewers who gave at least one positive label, in any category "
        "(see definitions: any_violation): 0 for a reviewed negative; null when unreviewed.",
    ),
    Column(
        "spans",
        "list",
        "Passages tagged with a non-retracted tag: {start, end, category, text, moderator}, "
        "0-based end-exclusive character offsets into `text`; `text` is the passage as "
        "quoted when tagged (compare with text[start:end] to catch drift). JSON in CSV.",
    ),
    Column(
        "policy_version",
        "integer|null",
        "The site's policy version in force at the comment's last moderation action (a tag, "
        "a retraction, a decision of any kind or a review).",
    ),
    Column(
        "screening_<category>",
        "number|null",
        "One per category (its slug with _ for -): the machine's combined screening score in "
        "[0, 1] that the comment breaks the category (the strongest of its sources, "
        "weighted: see the codebook's `screening`), as stored when exported. 0 when every "
        "source scored it below 0.2 (lower scores are not kept); null when the category is "
        "not one of the comment's site. A suggestion shown to moderators, never a label.",
    ),
]

LABEL_COLUMNS = [
    Column("comment_id", "integer", "The comment (see comments)."),
    Column("site", "string", "The site's name."),
    Column("category", "string", "The category's slug (see categories)."),
    Column("moderator", "string", "The reviewer's pseudonym (m-…); username only if real names."),
    Column("label", "integer", "1 or 0 (see definitions)."),
    Column(
        "basis",
        "string",
        "tag: a non-retracted tag; review: the moderator's latest review (1: it cites the "
        "category; 0: it does not, when the review is their latest judgement); removal: the "
        "moderator's own latest decision on the comment, a removal citing the category; "
        "retracted_tag: tagged, then every such tag "
        "retracted (label 0); reviewed: a reviewer who had the category but neither tagged "
        "it nor removed it for it (label 0), e.g. their latest decision is an approval. No row "
        "for a category they did not have (see definitions: label).",
    ),
    Column(
        "labelled_at",
        "datetime",
        "UTC. tag: when the (earliest current) tag was made; removal: the decision's time; "
        "retracted_tag: when the retracted tag was made; reviewed: the moderator's latest "
        "judgement of the comment (the tag or decision whose policy version says which "
        "categories they had).",
    ),
    Column(
        "policy_version",
        "integer|null",
        "The policy version of the label: tag and retracted_tag, the tag's own; removal and "
        "reviewed, the one in force at labelled_at.",
    ),
    Column("retracted", "boolean", "Whether this moderator's tag was later retracted."),
    Column("retracted_at", "datetime|null", "When it was retracted, UTC."),
    Column(
        "designed_label",
        "integer|null",
        "On a comment in the designed overlap (comments: sample), this reviewer's label as one "
        "of its independent judgements: for a drawn comment, what its first reviewer and its "
        "blind second reviewer gave when the two were compared (a later change of mind is in "
        "label, not here); for a gold item, the blind review's. Null for a label that is not "
        "one of them (another reviewer, who could see earlier judgements). Designed-overlap "
        "agreement is computed from this column.",
    ),
]

# Spreadsheets run a cell that starts with one of these as a formula (OWASP, CSV injection).
# An apostrophe too: it is the escape itself, so a text that starts with one keeps it.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")
CSV_TEXT_RULE = (
    "In CSV files only, a text cell that begins with =, +, -, @, a tab or a carriage return "
    "gets an apostrophe (') in front, so that a spreadsheet shows it as text instead of "
    "running it as a formula; so does a text that begins with an apostrophe itself. Remove "
    "one leading apostrophe from a cell that starts with one to get the exact text. "
    "Numbers are never changed. JSON Lines files carry every text exactly (text_sha256 is "
    "always the hash of the exact text)."
)

CSV_QUOTING_RULE = (
    'In CSV files every text cell is quoted, an empty text as ""; numbers and the booleans '
    "true and false are not, and a null is an empty cell without quotes. So a position "
    'such as "2.10" is text, and an empty text is not a null: a reader that keeps quoted '
    "cells as text (or reads the types from datapackage.json) gets both right. Lists are "
    "JSON, quoted like any text."
)

DEFINITIONS = {
    "reviewers": "The distinct moderators who judged the comment: who tagged it (tags later "
    "retracted included: they looked and withdrew it), whose own latest decision on it is "
    "an approval or a removal, or who reviewed it (a review: labels recorded without a "
    "decision, see the codebook's sampling). A moderator who only escalated it or sent it "
    "back to pending (an undone removal, say) is not a reviewer of it.",
    "reviewed": "A comment is reviewed when it has at least one reviewer.",
    "label": "A reviewer's label for (comment, category) comes from their own actions only: 1 "
    "when they hold a non-retracted tag of that category on the comment, when their latest "
    "review of it cites the category, or when their own latest decision on it is a removal "
    "citing that category as a reason; otherwise 0 (an approval, or a review not citing it, "
    "is a judgement with no positive label). A review never cancels their own tag in force "
    "or removal. Retracted tags and a moderator's "
    "earlier decisions are not positive votes; another moderator's later decision does not "
    "change theirs, so a removal overruled by someone else's approval is a disagreement. "
    "A reviewer has a label only for the categories they could apply: those active in the "
    "policy version in force when they made their latest judgement of the comment (a tag, "
    "retracted or not, in the tag's own version; a decision in the version in force at its "
    "time; a review, the categories it offered). A category added after that judgement, or "
    "retired before it, gets no label from them (no row, not a 0); a category they hold a "
    "non-retracted tag of, cited in their latest review or removed the comment for is always "
    "their 1.",
    "vote_fraction": "Per category: positive labels / the reviewers who had the category "
    "(reviewers_<category>; it can differ between categories). Null when no reviewer had it.",
    "majority_label": "1 when the vote fraction is greater than 0.5 (a tie is 0); null when "
    "the fraction is.",
    "any_violation": "Per comment: the reviewers who gave at least one positive label, in "
    "any category, / all its reviewers (`reviewers`). A reviewer counts once however many "
    "categories they marked, so it is not a sum or a maximum of the vote fractions; 0 for a "
    "reviewed negative, null when the comment is unreviewed.",
    "reviewed_negative": "A reviewed comment with no positive label in any category (e.g. "
    "approved without tags): a negative example, not missing data.",
    "unreviewed": "Nobody reviewed the comment: reviewed is false, reviewers and "
    "reviewers_<category> 0, fractions, majorities, any_violation and review_route null, "
    "and it has no label rows. status, decided_at and policy_version still describe the "
    "comment (an escalated comment may be unreviewed).",
    "review_route": REVIEW_ROUTES,
    "sample": SAMPLES,
    "agreement": "Per category, Krippendorff's alpha (nominal) over the labels of the "
    "reviewers who had the category, on the comments with two or more of them; Cohen's kappa "
    "for each pair of moderators over the comments both reviewed with the category "
    "available to both. `items` is the number of comments a figure rests on; a "
    "figure is null, with a reason, when undefined (no comment with two reviewers, or no "
    "variation). `low` and `high`: its 95 % percentile bootstrap interval over comments "
    f"({BOOTSTRAP_DRAWS} draws, seed {BOOTSTRAP_SEED}; `undefined_draws` draws without "
    "variation left out), null when the figure is undefined or rests on one comment. "
    f"`too_few`: fewer than {MIN_ITEMS} comments, too few to cite. The bundle's agreement.py "
    "recomputes them from the labels (Python 3 and numpy).",
    "pseudonyms": "c-/m- followed by the first 16 hex digits of HMAC-SHA256(key, "
    '"commenter:<site>:<display name>") or (key, "moderator:<user id>"). The key is kept '
    "out of the database: the same key gives the same pseudonyms in every export.",
    "times": "UTC, ISO 8601 with a Z suffix.",
    "csv_text": CSV_TEXT_RULE,
    "csv_quoting": CSV_QUOTING_RULE,
}


def category_column(slug: str) -> str:
    """How a category is named in its columns' names (fraction_<category>…): its slug with
    underscores for hyphens, so that each column name is an identifier in pandas, R or SQL
    (`fraction_personal_attack`). The labels table's `category` keeps the slug."""
    return slug.replace("-", "_")


def table_columns(table: str, slugs: Iterable[str] = ()) -> list[tuple[str, Column]]:
    """A table's columns in order, each (name, the Column that defines it): for the comments
    table, a `<prefix>_<category>` column gives one of each per distinct `category_column`
    of these slugs. What the files, the codebook, datapackage.json and the dataset card
    are all made from."""
    if table == "labels":
        return [(column.name, column) for column in LABEL_COLUMNS]
    if table != "comments":
        raise ValueError(f"no table {table!r}")
    keys = list(dict.fromkeys(category_column(slug) for slug in slugs))
    columns = []
    for column in COMMENT_COLUMNS:
        prefix = column.name.removesuffix("<category>")
        if prefix != column.name:
            columns += [(f"{prefix}{key}", column) for key in keys]
        else:
            columns.append((column.name, column))
    return columns


def comment_columns(slugs: Iterable[str]) -> list[str]:
    """The comments table's column names for these category slugs (their order)."""
    return [name for name, _ in table_columns("comments", slugs)]


def column_type(column: Column) -> tuple[str, bool]:
    """(integer, number, string, boolean, datetime or list; whether it may be null)."""
    kind, _, null = column.type.partition("|")
    return kind, null == "null"


# The objects of `spans`, in the order Export._spans writes their keys.
SPAN_FIELDS = (
    ("start", "integer"),
    ("end", "integer"),
    ("category", "string"),
    ("text", "string"),
    ("moderator", "string"),
)
# Each table's primary key: a comment; a reviewer's label of it in one category.
PRIMARY_KEYS = {"comments": ["comment_id"], "labels": ["comment_id", "moderator", "category"]}


LABEL_COLUMN_NAMES = [column.name for column in LABEL_COLUMNS]

"""One export (`Export`): the filtered comments read a chunk at a time with their reviews,
the comment and label rows, the counts and agreement over the whole set, the downloads and
the codebook."""

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import cached_property, partial
from itertools import groupby
from operator import itemgetter
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.db.models import Count, Exists, Max, Min, OuterRef, Q
from django.utils import timezone

from archive.models import Comment, Site
from moderation import audit, checkpoints
from moderation.agreement import Agreement, Figure
from moderation.export import recompute, schema
from moderation.export.columns import (
    COMMENT_COLUMNS,
    DEFINITIONS,
    LABEL_COLUMN_NAMES,
    LABEL_COLUMNS,
    TABLES,
    category_column,
    comment_columns,
)
from moderation.export.forms import ExportFilter
from moderation.export.keys import KEY_VARIABLE, PseudonymKey, Pseudonyms, pseudonym_key
from moderation.export.reviews import (
    DECIDED,
    DECISION_FIELDS,
    REVIEW_FIELDS,
    TAG_FIELDS,
    CategoryInfo,
    Figures,
    PolicyHistory,
    Review,
    Summary,
)
from moderation.export.sampling import sampling_codebook
from moderation.export.statement import data_statement, data_statement_markdown, software_version
from moderation.export.table import (
    COMMENT_VALUES,
    Chunk,
    CommentTable,
    designed_of,
    read_chunks,
)
from moderation.export.writers import (
    FORMATS,
    _iso,
    codebook_bytes,
    write_csv,
    write_jsonl,
    write_zip,
)
from moderation.models import (
    AuditEvent,
    Category,
    CommentReview,
    Decision,
    Policy,
    Tag,
)

CHUNK = 1000  # comments per chunk; also under SQLite's limit on query parameters
# The tables of a bundle, in its order.
BUNDLE_TABLES = (("comments", "jsonl"), ("comments", "csv"), ("labels", "jsonl"), ("labels", "csv"))


class Export:
    """One export: the filtered comments, how people are named, and the moment it was made.

    Build it from a bound, valid ExportFilter. Row generators read the database lazily, so a
    streaming response starts sending before the last comment is read."""

    def __init__(
        self,
        filterset: ExportFilter,
        key: PseudonymKey,
        *,
        real_names: bool = False,
        now: datetime | None = None,
    ):
        if not filterset.is_valid():
            raise ValueError("an export needs a valid filter")
        self.filterset = filterset
        self.key = key
        self.real_names = real_names
        self.pseudonyms = Pseudonyms(key, real_names=real_names)
        self.exported_at = now or timezone.now()
        # site -> category column name -> category id
        self._screening_ids: dict[int, dict[str, int]] = {}

    @classmethod
    def from_query(cls, data, *, real_names=False, key=None, now=None) -> "Export":
        """From query-string-like data; raises ExportUnavailable without a key and
        ValueError on filters that do not validate (check ExportFilter first to show why)."""
        filterset = ExportFilter(data, queryset=Comment.objects.all())
        return cls(filterset, key or pseudonym_key(), real_names=real_names, now=now)

    @cached_property
    def comments(self):
        """The filtered comments (a queryset, not evaluated)."""
        return self.filterset.qs.order_by()

    @cached_property
    def categories(self) -> list[CategoryInfo]:
        """The categories of the sites that have comments in the export (two queries)."""
        # One probe per site along the state's (site, …) index. Asked in the SELECT list, as
        # a WHERE EXISTS would let PostgreSQL turn it into a join over every comment.
        in_export = self.comments.filter(moderation__site=OuterRef("pk"))
        sites = [
            pk
            for pk, present in Site.objects.annotate(present=Exists(in_export))
            .order_by()
            .values_list("pk", "present")
            if present
        ]
        return [
            CategoryInfo(*row)
            for row in Category.objects.filter(site__in=sites)
            .order_by("site__name", "order", "pk")
            .values_list("pk", "site_id", "slug", "name", "order", "definition", "active")
        ]

    @cached_property
    def _by_site(self) -> dict[int, list[CategoryInfo]]:
        by_site = defaultdict(list)
        for category in self.categories:
            by_site[category.site_id].append(category)
        return by_site

    @cached_property
    def _by_id(self) -> dict[int, CategoryInfo]:
        return {category.id: category for category in self.categories}

    @cached_property
    def slugs(self) -> list[str]:
        """Category slugs for the per-category columns, in keyboard order."""
        order: dict[str, tuple] = {}
        for c in self.categories:
            order[c.slug] = min(order.get(c.slug, (c.order, c.slug)), (c.order, c.slug))
        return sorted(order, key=order.__getitem__)

    @cached_property
    def category_keys(self) -> list[str]:
        """How the per-category columns name the categories (`columns.category_column` of
        each slug: fraction_personal_attack), distinct, in keyboard order. Two sites'
        categories whose slugs differ only in - and _ share their columns, as two sites'
        categories of one slug do (a comment has one site's); see `check_columns`."""
        self.check_columns()
        return list(dict.fromkeys(category_column(slug) for slug in self.slugs))

    def check_columns(self) -> None:
        """Raise ValueError when one site has two categories whose slugs differ only in - and
        _: they would share their columns. `services.add_category` refuses the second; data
        made otherwise is refused here, before an export is recorded (`rows`)."""
        seen: dict[tuple[int, str], str] = {}
        for c in self.categories:
            slug = seen.setdefault((c.site_id, category_column(c.slug)), c.slug)
            if slug != c.slug:
                raise ValueError(
                    f"site {c.site_id} has categories {slug!r} and {c.slug!r}, which would "
                    f"share the columns named {category_column(slug)!r}"
                )

    @cached_property
    def policies(self) -> PolicyHistory:
        return PolicyHistory()

    def date_stamp(self) -> str:
        return self.exported_at.astimezone(UTC).date().isoformat()

    def filename(self, what: str, fmt: str) -> str:
        """e.g. comments-2026-11-22.csv: the date only, never a person's name."""
        return f"{what}-{self.date_stamp()}.{fmt}"

    # Counting (before streaming, for the audit)

    def count(self, table: str) -> int:
        """Rows a table will hold: comments in one COUNT query; labels in two streamed
        queries (see `_reviews`), in memory that does not grow with the rows."""
        if table == "comments":
            return self.comments.count()
        if table == "labels":
            # Which categories a reviewer has a label for depends on the policy version of
            # their latest judgement (a JSON snapshot), so the labels are counted as they are
            # made: the reviews read from two ordered streams, as `summary` reads them.
            return sum(len(review.votes) for _, review in self._reviews())
        raise ValueError(f"no table {table!r}")

    def rows(self, what: str, summary: Summary | None = None) -> dict[str, int]:
        """The rows of each table a download covers, for its audit event: a table's own
        count (`count`); for the bundle (both tables) and the codebook (which counts both),
        the summary's, which they write (pass the one made for them, or one is made)."""
        self.check_columns()  # before any record or byte
        if what in TABLES:
            return {what: self.count(what)}
        if what not in ("bundle", "codebook"):
            raise ValueError(f"no export {what!r}")
        summary = summary or self.summary()
        return {"comments": summary.comments, "labels": summary.labels}

    # Reading comments with their reviews, a chunk at a time

    def chunks(self) -> Iterator[Chunk]:
        """The filtered comments in id order, a chunk at a time, with their articles, tags
        and decisions, as the database returns them (`table.read_chunks`)."""
        return read_chunks(self.comments, CHUNK)

    def reviewed_comments(self) -> Iterator[list[tuple[dict, Review]]]:
        """Chunks of (comment values, Review), in comment id order: the comments' values by
        name, times as datetimes (read back from the text `_iso` wrote, which they give
        again)."""
        for chunk in self.chunks():
            rows = []
            for values in chunk.comments:
                row = dict(zip(COMMENT_VALUES, values, strict=True))
                article = chunk.articles[row["article_id"]]
                row.update(
                    posted_at=_datetime(row["posted_at"]),
                    status=row.pop("moderation__status"),
                    commenter_name=row.pop("commenter__name"),
                    decided_at=_datetime(row["decided_at"]),
                    site_id=article.site_id,
                    site_name=article.site_name,
                    title=article.title,
                    url=article.url,
                    screening=chunk.screening.get(row["id"]),
                )
                rows.append((row, self._review(row["id"], article.site_id, chunk)))
            yield rows

    def _review(self, comment_id: int, site_id: int, chunk: Chunk) -> Review:
        mine = self.mine
        review = Review(
            site_id,
            self._by_site.get(site_id, []),
            mine(chunk.tags.get(comment_id, ())),
            mine(chunk.decisions.get(comment_id, ())),
            self.policies,
            mine(chunk.reviews.get(comment_id, ())),
        )
        if comment_id in chunk.designed:
            review.sample, review.designed = chunk.designed[comment_id]
        return review

    @cached_property
    def only_moderator(self) -> int | None:
        """The moderator filtered for: the export is then their coding alone (their labels,
        their fractions), of the comments they reviewed."""
        self.filterset.is_valid()
        chosen = self.filterset.form.cleaned_data.get("moderator")
        return chosen.pk if chosen is not None else None

    def mine(self, rows):
        """Tag, decision or review rows (the moderator second), those of the moderator
        filtered for when there is one."""
        only = self.only_moderator
        if only is None or not rows:
            return rows
        return [row for row in rows if row[1] == only]

    def comment_rows(self) -> Iterator[list[dict]]:
        """The comments table as dicts, a chunk at a time: what a download holds (which
        `table.CommentTable` writes without making these dicts)."""
        for chunk in self.reviewed_comments():
            yield [self._comment_row(row, review) for row, review in chunk]

    def _comment_row(self, c: dict, review: Review) -> dict:
        text = c["body_text"]
        return {
            "comment_id": c["id"],
            "site": c["site_name"],
            "article_id": c["article_id"],
            "article_title": c["title"],
            "article_url": c["url"] or None,
            "position": c["position"],
            "parent_id": c["parent_id"],
            "depth": c["position"].count("."),
            "author": self.pseudonyms.commenter(c["site_name"], c["commenter_name"]),
            "posted_at": _iso(c["posted_at"]),
            "source_status": c["source_status"],
            "text": text,
            "text_sha256": hashlib.sha256(text.encode()).hexdigest(),
            **self._review_columns(review, c["status"], _decided_at(c["status"], c["decided_at"])),
            **self.screening_columns(c["site_id"], c["screening"]),
        }

    def screening_columns(self, site_id: int, scores: dict[int, float] | None) -> dict:
        """`screening_<category>` for every category of the export: the comment's combined
        score for its site's categories (0 without one), null for other sites' categories."""
        ids = self._screening_ids.get(site_id)
        if ids is None:
            ids = self._screening_ids[site_id] = {
                category_column(c.slug): c.id for c in self._by_site.get(site_id, [])
            }
        scores = scores or {}
        return {
            f"screening_{key}": (scores.get(ids[key], 0.0) if key in ids else None)
            for key in self.category_keys
        }

    def _review_columns(self, review: Review, status: str, decided_at: str | None) -> dict:
        """The comment row's columns from `reviewed` on, in order. `table.CommentTable`
        keeps those other than status, decided_at and spans by site, number of reviewers,
        vote fractions, any_violation and policy version: a column that depends on anything
        else must be added to its key."""
        reviewed = review.reviewed
        # By column name, for the comment's site's categories only: (reviewers who had the
        # category, vote fraction, None when nobody had it). Other sites' stay null.
        by_id = review.fractions()
        per_category = {
            category_column(category.slug): by_id[category.id] for category in review.categories
        }
        none = (None, None)
        keys = self.category_keys
        return {
            "reviewed": reviewed,
            "review_route": ("sampled" if review.sample else "queue") if reviewed else None,
            "sample": review.sample,
            "status": status,
            "decided_at": decided_at,
            "reviewers": len(review.reviewers),
            **{f"reviewers_{key}": per_category.get(key, none)[0] for key in keys},
            **{f"fraction_{key}": per_category.get(key, none)[1] for key in keys},
            **{f"majority_{key}": _majority(per_category.get(key, none)[1]) for key in keys},
            "any_violation": review.any_violation(),
            "spans": self._spans(review),
            "policy_version": review.policy_version,
        }

    def _spans(self, review: Review) -> list[dict]:
        """The passages tagged (non-retracted tags with a span), as the `spans` column."""
        return [
            {
                "start": start,
                "end": end,
                "category": self._by_id[cat].slug,
                "text": quote,
                "moderator": self.pseudonyms.moderator(mod),
            }
            for start, end, cat, quote, mod in review.span_tags
        ]

    def label_rows(self) -> Iterator[list[dict]]:
        """The labels table as dicts, a chunk of comments at a time. A comment without tags
        or decisions has no reviewer, so no label rows."""
        for chunk in self.chunks():
            rows = []
            for comment_id, article_id, *_ in chunk.comments:
                if not (
                    comment_id in chunk.tags
                    or comment_id in chunk.decisions
                    or comment_id in chunk.reviews
                ):
                    continue  # no reviewer: no labels (a gold item nobody reviewed yet)
                article = chunk.articles[article_id]
                review = self._review(comment_id, article.site_id, chunk)
                rows += self._labels(comment_id, article.site_name, review)
            yield rows

    def _labels(self, comment_id: int, site_name: str, review: Review) -> list[dict]:
        rows = []
        for mod in review.reviewers:
            moderator = self.pseudonyms.moderator(mod)
            for category in review.categories:
                vote = review.votes.get((mod, category.id))
                if vote is None:  # a category they did not have when they judged
                    continue
                rows.append(
                    {
                        "comment_id": comment_id,
                        "site": site_name,
                        "category": category.slug,
                        "moderator": moderator,
                        "label": vote.label,
                        "basis": vote.basis,
                        "labelled_at": _iso(vote.at),
                        "policy_version": vote.policy_version,
                        "retracted": vote.retracted_at is not None,
                        "retracted_at": _iso(vote.retracted_at),
                        "designed_label": review.designed_label(mod, category.id),
                    }
                )
        return rows

    # Counts and agreement over the whole filtered set, in a fixed number of queries

    def summary(self) -> Summary:
        """Counts and agreement: one aggregate and two ordered queries, read as streams."""
        totals = self.comments.aggregate(
            n=Count("pk"),
            first=Min("posted_at"),
            last=Max("posted_at"),
            undated=Count("pk", filter=Q(posted_at__isnull=True)),
        )
        agreement, designed = Agreement(), Agreement()
        reviewed = negatives = labels = 0
        sampled: dict[str, int] = {}
        connection = connections[self.comments.db]
        for batch in _batches(self._reviews(), CHUNK):
            # The designed overlap as the label rows read it (`table.designed_of`).
            overlap = designed_of(connection, [comment_id for comment_id, _ in batch])
            for comment_id, review in batch:
                if not review.reviewed:  # only escalations or returns to pending
                    continue
                reviewed += 1
                labels += len(review.votes)
                if not any(vote.label for vote in review.votes.values()):
                    negatives += 1
                agreement.add(review.labels())
                if comment_id in overlap:
                    review.sample, review.designed = overlap[comment_id]
                    independent = review.designed_labels()
                    designed.add(independent)
                    if independent:
                        sampled[review.sample] = sampled.get(review.sample, 0) + 1
        return Summary(
            comments=totals["n"],
            reviewed=reviewed,
            reviewed_negatives=negatives,
            labels=labels,
            first_posted=totals["first"],
            last_posted=totals["last"],
            agreement=agreement,
            undated=totals["undated"],
            designed=designed,
            sampled=sampled,
        )

    def figures(self, *, refresh: bool = False) -> Figures:
        """`summary()`, kept in the cache per filter so the export page does not read every
        label on every view. A kept summary is used while nothing was recorded since it was
        computed, or, however much was, for EXPORT_FIGURES_MAX_AGE seconds (the page shows
        "as of" and how many actions came after); `refresh` computes afresh."""
        key = (
            "export-figures:"
            + hashlib.sha256(
                json.dumps(self.filterset.used(), sort_keys=True, default=str).encode()
            ).hexdigest()
        )
        head = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        kept = None if refresh else cache.get(key)
        max_age = timedelta(seconds=settings.EXPORT_FIGURES_MAX_AGE)
        if kept and (kept.head == head or timezone.now() - kept.as_of < max_age):
            return replace(kept, actions_since=head - kept.head)
        figures = Figures(self.summary(), as_of=timezone.now(), head=head)
        cache.set(key, figures, timeout=max(settings.EXPORT_FIGURES_MAX_AGE, 1) * 10)
        return figures

    def _reviews(self) -> Iterator[tuple[int, Review]]:
        """(comment id, Review) of every filtered comment with a tag, a decision or a review,
        one at a time, from three ordered queries (tags, decisions, reviews) read as
        streams."""
        ids = self.comments.values("pk")
        tags = (
            Tag.objects.filter(comment__in=ids)
            .order_by("comment_id", "created_at", "pk")
            .values_list(*TAG_FIELDS)
            .iterator(chunk_size=CHUNK)
        )
        decisions = (
            Decision.objects.filter(comment__in=ids)
            .order_by("comment_id", "version", "pk")
            .values_list(*DECISION_FIELDS, "comment__article__site_id")
            .iterator(chunk_size=CHUNK)
        )
        reviews = (
            CommentReview.objects.filter(comment__in=ids)
            .order_by("comment_id", "created_at", "pk")
            .values_list(*REVIEW_FIELDS, "policy__site_id")
            .iterator(chunk_size=CHUNK)
        )
        for comment_id, tag_rows, decision_rows, review_rows in _merge_by_comment(
            tags, decisions, reviews
        ):
            # A decision row and a review row carry the comment's site; a tag row its category.
            if decision_rows:
                site_id = decision_rows[0][-1]
            elif review_rows:
                site_id = review_rows[0][-1]
            else:
                site_id = self._by_id[tag_rows[0][2]].site_id
            mine = self.mine
            review = Review(
                site_id,
                self._by_site.get(site_id, []),
                mine(tag_rows),
                mine([row[: len(DECISION_FIELDS)] for row in decision_rows]),
                self.policies,
                mine([row[: len(REVIEW_FIELDS)] for row in review_rows]),
            )
            yield comment_id, review

    def agreement_figures(
        self, agreement: Agreement, *, kappas: bool = True, lazy: bool = False
    ) -> dict:
        """Alpha for every category, kappa for every pair of moderators who share comments
        (none without `kappas`). With `lazy`, a kappa is computed (with its bootstrap
        interval) when read: a page shows a hundred pairs of thousands."""
        alphas = agreement.alphas()
        no_reviews = Figure(None, 0, "no comment was reviewed by two or more moderators")
        sites = self._site_names
        categories = [
            {
                "site": sites.get(c.site_id, ""),
                "category": c.slug,
                "name": c.name,
                "alpha": alphas.get(c.id, no_reviews).as_dict(),
            }
            for c in self.categories
        ]
        place = {c.id: i for i, c in enumerate(self.categories)}  # site, then keyboard order
        pairs = []
        for (cat, a, b), kappa in agreement.kappa.items() if kappas else ():
            figure = _LazyFigure(kappa) if lazy else kappa.result().as_dict()
            category = self._by_id[cat]
            first, second = sorted([self.pseudonyms.moderator(a), self.pseudonyms.moderator(b)])
            pairs.append(
                (
                    (place[cat], first, second),
                    {
                        "site": sites.get(category.site_id, ""),
                        "category": category.slug,
                        "name": category.name,
                        "moderator_a": first,
                        "moderator_b": second,
                        "kappa": figure,
                    },
                )
            )
        return {"alpha": categories, "kappa": [pair for _, pair in sorted(pairs)]}

    @cached_property
    def _site_names(self) -> dict[int, str]:
        site_ids = {c.site_id for c in self.categories}
        return dict(Site.objects.filter(pk__in=site_ids).values_list("pk", "name"))

    # Writing

    def stream(
        self, what: str, fmt: str, *, event=None, summary: Summary | None = None
    ) -> Iterator[bytes]:
        """The bytes of one download: comments or labels as csv or jsonl, or the bundle (whose
        codebook uses `summary`, when the caller made one for the audit: see `rows`)."""
        if what == "bundle" and fmt == "zip":
            return self.bundle(event=event, summary=summary)
        if what not in TABLES or fmt not in FORMATS:
            raise ValueError(f"no export {what}.{fmt}")
        if what == "comments":
            table = CommentTable(self)
            if fmt == "csv":
                return table.csv(self.chunks(), comment_columns(self.slugs))
            return table.jsonl(self.chunks())
        if fmt == "csv":
            return write_csv(LABEL_COLUMN_NAMES, self.label_rows())
        return write_jsonl(self.label_rows())

    def bundle(self, *, event=None, summary: Summary | None = None) -> Iterator[bytes]:
        """A ZIP of both tables in both formats, the codebook, the data statement, and what
        reads the tables with their types: datapackage.json and a dataset card (README.md).
        The codebook is written after the tables, so the archive starts streaming at once;
        it uses `summary` when given (the counts the audit event recorded), else makes one
        then."""
        codebook = {}
        tables = [(what, fmt, self.filename(what, fmt)) for what, fmt in BUNDLE_TABLES]
        codebook_name = self.filename("codebook", "json")
        statement_name = f"data-statement-{self.date_stamp()}.md"

        def codebook_json():
            codebook.update(self.codebook(event=event, summary=summary))
            yield codebook_bytes(codebook)

        files: list[tuple[str, Callable[[], Iterable[bytes]]]] = [
            (path, partial(self.stream, what, fmt)) for what, fmt, path in tables
        ]
        files += [
            (codebook_name, codebook_json),
            (statement_name, lambda: [data_statement_markdown(codebook).encode()]),
            (
                "datapackage.json",
                lambda: [
                    schema.datapackage_bytes(
                        self.datapackage(tables, codebook_name, statement_name)
                    )
                ],
            ),
            (
                "README.md",
                lambda: [
                    schema.dataset_card(
                        title=f"Discussion moderation export {self.date_stamp()}",
                        slugs=self.slugs,
                        tables=tables,
                        codebook=codebook_name,
                        statement=statement_name,
                    ).encode()
                ],
            ),
            # The agreement figures' recipe as a program: `python agreement.py .` in the
            # unzipped bundle prints every alpha and kappa of the codebook again.
            ("agreement.py", lambda: [Path(recompute.__file__).read_bytes()]),
        ]
        return write_zip(files, self.exported_at)

    def datapackage(self, tables: list[tuple[str, str, str]], codebook: str, statement: str):
        """datapackage.json of a bundle holding these tables ((table, format, file name)),
        this codebook and this data statement."""
        return schema.datapackage(
            name=f"discussion-moderation-export-{self.date_stamp()}",
            created=_iso(self.exported_at),
            slugs=self.slugs,
            tables=tables,
            others=[
                {
                    "name": "codebook",
                    "path": codebook,
                    "format": "json",
                    "mediatype": "application/json",
                    "description": "Counts, definitions, policies, categories, the column "
                    "dictionary, agreement figures, provenance.",
                },
                {
                    "name": "data-statement",
                    "path": statement,
                    "format": "md",
                    "mediatype": "text/markdown",
                    "description": "The data statement, for the researcher to complete.",
                },
            ],
        )

    def codebook(self, *, event=None, summary: Summary | None = None) -> dict:
        """Everything a reader needs to use the files, and where they came from."""
        summary = summary or self.summary()
        site_ids = {c.site_id for c in self.categories}
        policies = (
            Policy.objects.filter(site__in=site_ids)
            .select_related("site")
            .order_by("site__name", "version")
        )
        filters = self.filterset.used()
        if filters["moderator"] is not None:
            filters["moderator"] = self.pseudonyms.moderator(filters["moderator"])
        pseudonyms = {
            "method": DEFINITIONS["pseudonyms"],
            "real_names": self.real_names,
            "development_key": self.key.development,
        }
        warnings = []
        if self.real_names:
            warnings.append(
                "REAL NAMES: authors are commenters' display names and moderators are "
                "usernames, at an Admin's explicit request (recorded in the audit log). "
                "Handle as personal data."
            )
        if self.key.development:
            warnings.append(
                f"DEVELOPMENT KEY: {KEY_VARIABLE} was not set and the server runs in debug "
                "mode, so pseudonyms use a fixed, publicly known key and can be reversed. "
                "Do not share this export."
            )
        return {
            "title": "Discussion moderation export",
            "exported_at": _iso(self.exported_at),
            "software": {"name": "discussion-moderation", "version": software_version()},
            "audit": {
                "event_id": event.pk if event is not None else None,
                "head_hash": audit.head_hash(),
                # The latest signed checkpoint of the audit history (moderation.checkpoints):
                # a copy kept outside the database with every export.
                "checkpoint": (
                    checkpoints.Signed.of(latest).__dict__
                    if (latest := checkpoints.latest())
                    else None
                ),
            },
            "warnings": warnings,
            "pseudonyms": pseudonyms,
            "filters": filters,
            "counts": {
                "comments": summary.comments,
                "reviewed": summary.reviewed,
                "reviewed_negatives": summary.reviewed_negatives,
                "unreviewed": summary.comments - summary.reviewed,
                "labels": summary.labels,
            },
            "posted_between": [_iso(summary.first_posted), _iso(summary.last_posted)],
            "definitions": DEFINITIONS,
            "policies": [
                {
                    "site": policy.site.name,
                    "version": policy.version,
                    "created_at": _iso(policy.created_at),
                    "text": policy.text,
                    "categories": policy.categories,
                }
                for policy in policies
            ],
            "categories": [
                {
                    "site": self._site_names.get(c.site_id, ""),
                    "slug": c.slug,
                    "column_name": category_column(c.slug),  # fraction_<column_name>…
                    "name": c.name,
                    "definition": c.definition,
                    "active": c.active,
                }
                for c in self.categories
            ],
            "files": {
                "comments": {
                    "columns": [column._asdict() for column in COMMENT_COLUMNS],
                    "category_columns": comment_columns(self.slugs),
                },
                "labels": {"columns": [column._asdict() for column in LABEL_COLUMNS]},
                "formats": "CSV (UTF-8, header row, RFC 4180; every text cell quoted, numbers, "
                "true / false and null, an empty cell, bare: see definitions.csv_quoting; lists "
                "as JSON) and JSON Lines (UTF-8, one object per line).",
                "types": "The bundle's datapackage.json gives each table's Table Schema "
                "(types, nulls, keys) and the pandas and datasets arguments that read each "
                "file with them; its README.md is a Hugging Face dataset card over the JSON "
                "Lines files (docs/export.md, Loading).",
            },
            "screening": screening_codebook(site_ids),
            "sampling": sampling_codebook(self._site_names, summary.sampled),
            "agreement": {
                **self.agreement_figures(summary.agreement),
                # Alphas only: what the bundle's agreement.py recomputes on this overlap.
                "designed": self.agreement_figures(summary.designed, kappas=False),
            },
            "data_statement": data_statement(self, summary),
        }


def screening_codebook(site_ids) -> dict:
    """What the `screening_<category>` columns are made of: each source, its version, how it
    is weighted, the threshold for "flagged", the sites' word lists and learned models in
    force, and each model's cross-validated figures."""
    from moderation.models import FLAG_THRESHOLD, ScreeningModel
    from moderation.screening import scoring, sources, training

    sites = dict(Site.objects.filter(pk__in=site_ids).values_list("pk", "name"))
    models = (
        ScreeningModel.objects.filter(site__in=site_ids)
        .defer("blob", "out_of_fold")
        .select_related("category")
        .order_by("site_id", "category__order", "-version")
    )
    newest = {}
    for model in models:
        newest.setdefault((model.site_id, model.category_id), model)
    return {
        "combined": "The strongest of a category's sources, each score weighted (profanity "
        f"model x{sources.WEIGHTS[sources.PROFANITY]}, the others x1). A comment is flagged "
        f"for moderators at a combined score of {FLAG_THRESHOLD} or more; scores under "
        f"{sources.STORE_FLOOR} are not kept (exported as 0). Suggestions only: they never "
        "tag or decide.",
        "threshold": FLAG_THRESHOLD,
        "sources": {
            sources.WORDS: "The site's word lists: a banned term scores 1.0 for its category, "
            "a suspect one 0.35 (moderation.screening.words: whole words, case, accents, "
            "look-alike signs and repeated letters folded).",
            sources.PROFANITY: f"{sources.PROFANITY_VERSION}: its probability, for the "
            "category slugged profanity, while the site has no learned model of it.",
            sources.BASELINE: f"{sources.BASELINE_VERSION}: for personal-attack, while the "
            "site has no learned model of it: an insult near a second-person word 0.8, "
            "without one 0.4.",
            sources.MODEL: "The site's learned model of the category: TF-IDF of word 1-2-grams "
            "and character 2-5-grams, logistic regression with balanced class weights, "
            f"trained on the site's moderators' labels once a category has {training.MIN_LABELS} "
            "of each class; a comment it was trained on has its out-of-fold score.",
        },
        "word_lists": [
            {"site": name, "version": scoring.current_list(pk)[0]} for pk, name in sites.items()
        ],
        "models": [
            {
                "site": sites.get(model.site_id, ""),
                "category": model.category.slug,
                "version": model.version,
                "trained_at": _iso(model.trained_at),
                "positives": model.positives,
                "negatives": model.negatives,
                "cross_validated": model.figures,
            }
            for model in newest.values()
        ],
    }


# Helpers: reading rows a chunk, and a comment, at a time


def _datetime(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _decided_at(status: str, moment: datetime | None) -> str | None:
    """The time of the decision that left the comment approved or removed; None while it is
    pending or escalated (its latest decision then decided nothing: an undo, an escalation)."""
    return _iso(moment) if status in DECIDED else None


class _LazyFigure:
    """A kappa's figure as a dict, computed when first read (`agreement_figures(lazy=True)`)."""

    def __init__(self, kappa):
        self._kappa = kappa

    @cached_property
    def _figure(self) -> dict:
        return self._kappa.result().as_dict()

    def __getitem__(self, key):
        return self._figure[key]

    def __eq__(self, other):
        return self._figure == (other._figure if isinstance(other, _LazyFigure) else other)

    __hash__ = None


def _majority(fraction: float | None) -> int | None:
    return None if fraction is None else int(fraction > 0.5)


def _batches(items: Iterator, size: int) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _merge_by_comment(*streams: Iterator[tuple]) -> Iterator[tuple]:
    """Row streams ordered by comment id (their first value) → (comment id, rows of each
    stream) per comment id present in any."""
    groups = [((key, list(rows)) for key, rows in groupby(s, key=itemgetter(0))) for s in streams]
    heads = [next(g, None) for g in groups]
    while any(head is not None for head in heads):
        key = min(head[0] for head in heads if head is not None)
        rows = []
        for i, head in enumerate(heads):
            if head is not None and head[0] == key:
                rows.append(head[1])
                heads[i] = next(groups[i], None)
            else:
                rows.append([])
        yield key, *rows

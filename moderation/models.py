"""What people decided about the published record: policy versions and categories, tags,
decisions, blocks, notes, and the append-only audit log.

Rows here are written only by `moderation.services`, which records one AuditEvent for every
change in the same transaction. The models do not enforce that (Python cannot), but
AuditEvent refuses update and delete itself, and database triggers back it up.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from archive.models import Comment, Commenter, Site
from moderation.actions import Action

USER = settings.AUTH_USER_MODEL
# The longest note, reason or explanation a moderator may write (services refuse longer ones;
# forms and hand-written inputs say so first).
NOTE_MAX_LENGTH = 5000


class Capability(models.Model):
    """Not a table: the home of the dashboard's permissions, granted to roles (groups)."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("moderate", "Tag, decide, block and annotate comments and commenters"),
            ("view_audit", "Read the audit history"),
            ("edit_policy", "Edit a site's policy and its categories"),
            ("manage_users", "Manage dashboard users and their roles"),
            ("export_data", "Export tagged comments for research"),
            ("view_threads", "Read articles, threads, tags and agreement figures"),
            ("import_data", "Upload exports and page captures to import"),
        ]

    def __str__(self):
        return "capability"


class Policy(models.Model):
    """One version of a site's discussion policy: its text and the categories it defines.

    Every edit of the text or the categories makes a new version; tags point at the version
    in force when they were made, so a label can always be read against its own definitions.
    """

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="policies")
    version = models.PositiveIntegerField()
    text = models.TextField(blank=True)
    categories = models.JSONField(
        default=list, help_text="The categories as they stood in this version."
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["site", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["site", "version"], name="policy_unique_version")
        ]
        verbose_name_plural = "policies"

    def __str__(self):
        return f"{self.site} policy v{self.version}"


class CategoryQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)


class Category(models.Model):
    """A kind of violation of a site's policy. `order` is also its keyboard digit."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="categories")
    slug = models.SlugField(max_length=50)
    name = models.CharField(max_length=100)
    definition = models.TextField()
    order = models.PositiveSmallIntegerField()
    active = models.BooleanField(default=True)

    objects = CategoryQuerySet.as_manager()

    class Meta:
        ordering = ["site", "order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["site", "slug"], name="category_unique_slug"),
        ]
        verbose_name_plural = "categories"

    def __str__(self):
        return self.name

    def snapshot(self):
        return {
            "slug": self.slug,
            "name": self.name,
            "definition": self.definition,
            "active": self.active,
        }


class TagQuerySet(models.QuerySet):
    def current(self):
        """Tags not retracted."""
        return self.filter(retracted_at__isnull=True)


class Tag(models.Model):
    """One moderator's judgement that a comment (or a span of it) falls in a category."""

    comment = models.ForeignKey(Comment, on_delete=models.PROTECT, related_name="tags")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="tags")
    moderator = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="tags")
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="tags")
    # 0-based, end-exclusive character offsets into comment.body_text, and the text they cover.
    span_start = models.PositiveIntegerField(null=True, blank=True)
    span_end = models.PositiveIntegerField(null=True, blank=True)
    quoted_text = models.TextField(blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    retracted_at = models.DateTimeField(null=True, blank=True)
    retracted_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = TagQuerySet.as_manager()

    class Meta:
        ordering = ["comment", "created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(span_start__isnull=True, span_end__isnull=True)
                | Q(
                    span_start__isnull=False,
                    span_end__isnull=False,
                    span_start__lt=models.F("span_end"),
                ),
                name="tag_span_is_empty_or_ordered",
            )
        ]

    def __str__(self):
        return f"{self.category} on {self.comment}"

    @property
    def has_span(self):
        return self.span_start is not None


class Status(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REMOVED = "removed", "Removed"
    ESCALATED = "escalated", "Escalated"


class Decision(models.Model):
    """One status change of a comment, kept forever: the comment's decision history."""

    comment = models.ForeignKey(Comment, on_delete=models.PROTECT, related_name="decisions")
    status = models.CharField(max_length=10, choices=Status.choices)
    previous_status = models.CharField(max_length=10, choices=Status.choices)
    moderator = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="decisions")
    reasons = models.ManyToManyField(Category, blank=True, related_name="removals")
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(help_text="The comment's version after this decision.")
    # An escalation may name who should look at it (a moderator or an admin).
    assignee = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The decision this one undid (`judgements.undo`): an undone decision counts in no
    # insight figure except its moderator's undo rate.
    undoes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="undone_by"
    )
    # Whether screening flagged the comment when it was decided (None: decided before this
    # was kept), for the insights' flagged-against-removed figures.
    flagged = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["comment", "version"]

    def __str__(self):
        return f"{self.comment}: {self.previous_status} -> {self.status}"


# A suggestion this strong flags a comment (the Flagged tab); weaker ones only highlight.
FLAG_THRESHOLD = 0.5


class ModerationState(models.Model):
    """A comment's current status; every comment has one from the moment it is stored
    (`moderation.receivers` makes it, for a single comment or a whole import at once).

    `version` grows by one with every decision, so an action made on a stale page (another
    moderator decided in between) is detected and refused instead of overwriting.

    `site`, `article`, `commenter` and `queued_at` are copies kept here so that each queue
    (a status, optionally one site, article or commenter, oldest or newest first) is one
    walk along an index, never a sort of the whole table. `queued_at` is when the comment
    was posted, or when it was stored if the source gave no time; with `comment` it is the
    queue's order and its keyset cursor.
    """

    comment = models.OneToOneField(Comment, on_delete=models.PROTECT, related_name="moderation")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+", db_index=False)
    article = models.ForeignKey(
        "archive.Article", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    commenter = models.ForeignKey(
        Commenter, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        db_index=False,
    )  # fmt: skip
    queued_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    version = models.PositiveIntegerField(default=0)
    decision = models.ForeignKey(
        Decision, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Screening's strongest suggestion for the comment (None: nothing found), copied here so
    # that the Flagged tab, likely violations first, is one walk along an index.
    flag_score = models.FloatField(null=True, blank=True)
    # Who an escalated comment is assigned to (its decision's assignee, copied here so that
    # "Assigned to me" is one walk along an index); None for every other status.
    assignee = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )

    class Meta:
        indexes = [
            # One per queue shape: a status tab or all of them, with or without one site.
            models.Index(fields=["status", "queued_at", "comment"], name="state_status_queue"),
            models.Index(
                fields=["site", "status", "queued_at", "comment"], name="state_site_status_queue"
            ),
            models.Index(fields=["queued_at", "comment"], name="state_queue"),
            models.Index(fields=["site", "queued_at", "comment"], name="state_site_queue"),
            # One article's or one commenter's comments (all statuses: at most thousands).
            models.Index(
                fields=["article", "status", "queued_at", "comment"], name="state_article_queue"
            ),
            models.Index(
                fields=["commenter", "status", "queued_at", "comment"],
                name="state_commenter_queue",
            ),
            # The Flagged tab: flagged comments of a status, strongest suggestion first (not
            # a partial index: SQLite uses one only for a query whose condition is written
            # out as the index's, and Django passes the threshold as a parameter).
            models.Index(
                F("status"),
                F("flag_score").desc(),
                F("queued_at"),
                F("comment"),
                name="state_flagged_queue",
            ),
            # One person's assigned escalations ("Assigned to me"): few rows, most with none.
            models.Index(
                fields=["assignee", "status", "queued_at", "comment"],
                name="state_assignee_queue",
                condition=models.Q(assignee__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.comment}: {self.status} (v{self.version})"


class CategoryMark(models.Model):
    """A comment in one category's queue: it has a current tag in the category, or its
    current decision removed it for the category. With copies of the comment's status and
    queue time, so a queue filtered by category (and a status) is one walk along an index,
    as an unfiltered one is along ModerationState's. Kept by `services.marks` whenever a
    tag, a retraction or a decision changes what it copies."""

    comment = models.ForeignKey(
        Comment, on_delete=models.PROTECT, related_name="category_marks", db_index=False
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    status = models.CharField(max_length=10, choices=Status.choices)
    queued_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comment", "category"], name="category_mark_unique")
        ]
        indexes = [
            models.Index(
                fields=["category", "status", "queued_at", "comment"],
                name="category_mark_status_queue",
            ),
            models.Index(fields=["category", "queued_at", "comment"], name="category_mark_queue"),
        ]

    def __str__(self):
        return f"{self.comment_id} in category {self.category_id}"


class ModeratorMark(models.Model):
    """A comment in one moderator's queue: they tagged it (a retracted tag included) or
    decided it, ever. Copies status and queue time as CategoryMark does."""

    comment = models.ForeignKey(
        Comment, on_delete=models.PROTECT, related_name="moderator_marks", db_index=False
    )
    moderator = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", db_index=False)
    status = models.CharField(max_length=10, choices=Status.choices)
    queued_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["comment", "moderator"], name="moderator_mark_unique")
        ]
        indexes = [
            models.Index(
                fields=["moderator", "status", "queued_at", "comment"],
                name="moderator_mark_status_queue",
            ),
            models.Index(fields=["moderator", "queued_at", "comment"], name="moderator_mark_queue"),
        ]

    def __str__(self):
        return f"{self.comment_id} in moderator {self.moderator_id}'s queue"


class CommenterRecord(models.Model):
    """What moderation has done to a commenter, kept current by the services as they act, so
    a queue row shows a repeat offender without counting their removals row by row."""

    commenter = models.OneToOneField(
        Commenter, on_delete=models.PROTECT, primary_key=True, related_name="record"
    )
    removals = models.PositiveIntegerField(default=0, help_text="Comments removed now.")
    blocks = models.PositiveIntegerField(default=0, help_text="Blocks ever made.")
    # The block in force, if any: blocked until `blocked_until` (or for good when it is null).
    blocked = models.BooleanField(default=False)
    blocked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"record of {self.commenter_id}"

    @property
    def blocked_now(self) -> bool:
        return self.blocked and (self.blocked_until is None or self.blocked_until > timezone.now())


class ArticleQueue(models.Model):
    """How many of an article's comments wait (pending) and are escalated now: counters kept
    by `services.queue_counts` in the transaction of every change of a state, so the article
    list shows and sorts by them without counting a million states per request.

    A row is made when the article's first state is (or, if missing, counted afresh from
    the states when a change finds none); an article with no comments may have none, and
    shows and sorts as zero. `manage.py recount_queues` compares them with a fresh count."""

    # A derived count: it goes with its article (which PROTECT on its comments guards).
    article = models.OneToOneField(
        "archive.Article", on_delete=models.CASCADE, primary_key=True, related_name="queue"
    )
    pending = models.PositiveIntegerField(default=0)
    escalated = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            # The article list's "most pending" and "most escalated" orders, article breaking ties.
            models.Index(fields=["-pending", "article"], name="article_queue_pending"),
            models.Index(fields=["-escalated", "article"], name="article_queue_escalated"),
        ]

    def __str__(self):
        return f"article {self.article_id}: {self.pending} pending, {self.escalated} escalated"


class BlockQuerySet(models.QuerySet):
    def in_force(self, now=None):
        now = now or timezone.now()
        return self.filter(lifted_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )


class CommenterBlock(models.Model):
    """The site's right "to block users who violate its standards", exercised."""

    commenter = models.ForeignKey(Commenter, on_delete=models.PROTECT, related_name="blocks")
    reason = models.TextField()
    expires_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lift_note = models.TextField(blank=True)

    objects = BlockQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"block of {self.commenter}"

    @property
    def in_force(self):
        return self.lifted_at is None and (
            self.expires_at is None or self.expires_at > timezone.now()
        )


class CommenterNote(models.Model):
    """A moderator's note about a commenter, shown on the commenter's page."""

    commenter = models.ForeignKey(Commenter, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"note on {self.commenter_id}"


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditImmutable("audit events are append-only: they cannot be changed")

    def delete(self):
        raise AuditImmutable("audit events are append-only: they cannot be deleted")

    def for_list(self):
        """Events with what a list page shows, newest first (one query)."""
        return self.select_related("actor", "site", "article", "comment", "commenter").order_by(
            "-id"
        )


class AuditEvent(models.Model):
    """One change, as it happened. Append-only and hash-chained (see moderation.audit).

    `actor_name` keeps the username as it was, so the chain verifies even if a user is
    renamed. Targets are plain references for filtering; `target` names what changed.
    """

    created_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_events"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=50, choices=Action.choices, db_index=True)
    target_type = models.CharField(max_length=50)
    target_id = models.CharField(max_length=50, blank=True)
    site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    article = models.ForeignKey(
        "archive.Article", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_events"
    )
    commenter = models.ForeignKey(
        Commenter, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_events"
    )
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    note = models.TextField(blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    # Null, not blank, for events before it existed: adding a NOT NULL column would make
    # SQLite copy the table into a new one, without its append-only triggers.
    forwarded_request_id = models.CharField(  # noqa: DJ001
        max_length=64, null=True, blank=True, help_text="The id a trusted proxy gave the request."
    )
    client_address = models.GenericIPAddressField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # "<key id>:<Ed25519 signature of the hash>" (moderation.checkpoints.sign_event), when a
    # signing key is configured. Null rather than blank: adding a NOT NULL column would make
    # SQLite copy the table into a new one, without its append-only triggers.
    signature = models.CharField(max_length=120, null=True, blank=True)  # noqa: DJ001

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"#{self.pk} {self.action} by {self.actor_name or 'system'}"

    def save(self, *args, **kwargs):
        if self.pk is not None or kwargs.get("force_update"):
            raise AuditImmutable("audit events are append-only: they cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditImmutable("audit events are append-only: they cannot be deleted")


class AuditImmutable(Exception):
    """Raised on any attempt to change or delete an audit event through the ORM."""


class AuditHead(models.Model):
    """A single row that every audit append locks first, so the chain never forks."""

    appended = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"audit head ({self.appended} appended)"


class AuditCheckpoint(models.Model):
    """A signed statement of the audit head: after `appended` events the newest was
    `event_id` with `head_hash` (see moderation.checkpoints). Append-only, as events are;
    kept outside the database too, where it matters most."""

    event_id = models.PositiveBigIntegerField(help_text="The head event's id (not a key).")
    appended = models.PositiveBigIntegerField(help_text="How many events, this one included.")
    head_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    key_id = models.CharField(max_length=16, help_text="Which public key verifies it.")
    signature = models.CharField(max_length=100)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["appended", "pk"]

    def __str__(self):
        return f"checkpoint at #{self.event_id} ({self.appended} events)"

    def save(self, *args, **kwargs):
        if self.pk is not None or kwargs.get("force_update"):
            raise AuditImmutable("audit checkpoints are append-only: they cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditImmutable("audit checkpoints are append-only: they cannot be deleted")


class RateCount(models.Model):
    """How many requests of one kind (`key`: what and whose, hashed where it names a
    person) arrived in one window of time; see moderation.throttle."""

    key = models.CharField(max_length=100)
    window = models.BigIntegerField(help_text="The window's start, in seconds since 1970.")
    hits = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window"], name="rate_count_unique")]
        indexes = [models.Index(fields=["window"], name="rate_count_window")]  # for pruning

    def __str__(self):
        return f"{self.key} @ {self.window}: {self.hits}"


class ImportJob(models.Model):
    """A file an Admin uploaded at /imports/, and what became of it: the import runs later,
    in a background worker (moderation.tasks), and ends with the report the command prints."""

    class State(models.TextChoices):
        QUEUED = "queued", "Waiting for a worker"
        RUNNING = "running", "Importing"
        DONE = "done", "Imported"
        CHECKED = "checked", "Checked (nothing written)"
        FAILED = "failed", "Not imported"

    created_at = models.DateTimeField(default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=20, help_text="The format: archive.importing.formats.")
    file_name = models.CharField(max_length=255, help_text="As uploaded (shown, never opened).")
    size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    site_name = models.CharField(max_length=200, blank=True)
    domain = models.CharField(max_length=253, blank=True)
    dry_run = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    task_id = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    report = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["-created_at", "-id"], name="import_job_recent")]

    def __str__(self):
        return f"import #{self.pk}: {self.file_name} ({self.state})"

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.CHECKED, self.State.FAILED)

    @property
    def kind_label(self) -> str:
        from archive.importing.formats import FORMATS

        return FORMATS[self.kind].label if self.kind in FORMATS else self.kind


class WordList(models.Model):
    """One version of a site's screening word lists: every category's *banned* terms (a
    comment containing one is flagged for that category) and *suspect* ones (only
    highlighted). Kept forever, as the policy's versions are; the newest is in force.
    `terms` is a list of [category slug, kind, term] (see moderation.screening.words)."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="word_lists")
    version = models.PositiveIntegerField()
    terms = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["site", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["site", "version"], name="word_list_unique_version")
        ]

    def __str__(self):
        return f"{self.site} word lists v{self.version}"


class ScreeningScore(models.Model):
    """How likely a comment breaks a category, by one source (moderation.screening.sources:
    the site's word lists, the profanity model, the rule-based baseline, the learned model),
    with that source's version and, for the word lists, what they matched ([start, end,
    kind, term] in characters of the comment's text). Only scores of at least
    `sources.STORE_FLOOR` are kept. Suggestions: they never tag or decide anything."""

    comment = models.ForeignKey(
        Comment, on_delete=models.PROTECT, related_name="screening", db_index=False
    )
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=20)
    version = models.CharField(max_length=60, help_text="The source's version: list, model.")
    score = models.FloatField()
    matches = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["comment", "category", "source"], name="screening_score_unique"
            )
        ]

    def __str__(self):
        return f"{self.comment_id} {self.category_id} {self.source}: {self.score:.2f}"


class ScreeningModel(models.Model):
    """A learned model of one category on one site, trained on that site's moderators'
    labels (moderation.screening.training): the fitted pipeline (joblib, in `blob`), how many
    labels it learned from, its cross-validated figures, and each training comment's
    out-of-fold score (a model never scores a comment it was trained on). The newest
    version is in force."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField()
    trained_at = models.DateTimeField(default=timezone.now)
    positives = models.PositiveIntegerField()
    negatives = models.PositiveIntegerField()
    figures = models.JSONField(default=dict)
    out_of_fold = models.JSONField(default=dict, help_text="comment id -> score")
    blob = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["category", "version"], name="screening_model_unique_version"
            )
        ]

    def __str__(self):
        return f"{self.category} model v{self.version}"


class ReviewRoute(models.TextChoices):
    DIRECT = "direct", "Review"  # a moderator's own review, asked for from a comment
    SECOND = "second", "Second review"  # the blind second review of a sampled comment
    GOLD = "gold", "Gold item"  # a gold item met, unannounced, in the second-review stream


class CommentReview(models.Model):
    """One moderator's judgement of a comment recorded as a review: a label for each category
    they had (`available`: the site's active categories when they reviewed; `positives` those
    they said it breaks; none is "no violation"), whatever the comment's status. A review is
    not a decision: it never changes the comment's status. Reviews are kept: a moderator who
    reviews again adds a newer one, and the export reads each moderator's latest."""

    comment = models.ForeignKey(Comment, on_delete=models.PROTECT, related_name="reviews")
    moderator = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="reviews")
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="+")
    route = models.CharField(max_length=10, choices=ReviewRoute.choices)
    available = models.JSONField(default=list, help_text="The category ids they had.")
    positives = models.ManyToManyField(Category, blank=True, related_name="+")
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["comment", "created_at", "pk"]
        indexes = [
            models.Index(fields=["moderator", "route", "-created_at"], name="review_by_moderator"),
            # "Has this moderator reviewed this comment?", asked of every row of a stream.
            models.Index(fields=["comment", "moderator"], name="review_by_comment"),
        ]

    def __str__(self):
        return f"review of {self.comment_id} by {self.moderator_id}"


class SecondReviewPlan(models.Model):
    """A site's designed overlap: the share (in percent) of comments drawn, when first
    judged, for a blind second review, and the seed of the draw. A comment is drawn when
    HMAC-SHA256(seed, "comment:<id>"), read as a fraction of 2**64 from its first 16 hex
    digits, is below share / 100: reproducible by anyone holding the seed, and the same
    comment is drawn whoever judges it first."""

    site = models.OneToOneField(Site, on_delete=models.PROTECT, related_name="review_plan")
    share = models.PositiveSmallIntegerField(default=0, help_text="Percent, 0 to 100.")
    seed = models.CharField(max_length=64)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(share__lte=100), name="review_plan_share_percent")
        ]

    def __str__(self):
        return f"{self.site}: {self.share}% second review"


class Sample(models.Model):
    """A comment drawn for a blind second review, from its first judgement (by
    `first_reviewer`) on. Open until a second moderator reviews it; their labels and the
    first reviewer's, as compared then, are kept; a disagreement waits for adjudication."""

    class State(models.TextChoices):
        OPEN = "open", "Waiting for a second review"
        AGREED = "agreed", "Agreed"
        DISAGREED = "disagreed", "Waiting for adjudication"
        ADJUDICATED = "adjudicated", "Adjudicated"
        VOID = "void", "First judgement withdrawn"

    comment = models.OneToOneField(Comment, on_delete=models.PROTECT, related_name="sample")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+", db_index=False)
    reason = models.CharField(max_length=10, default="share")
    share = models.PositiveSmallIntegerField(help_text="The plan's share when drawn.")
    seed = models.CharField(max_length=64, help_text="The plan's seed when drawn.")
    first_reviewer = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    drawn_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=12, choices=State.choices, default=State.OPEN)
    second_reviewer = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    # {category id: label} of each, on the categories both had, as compared.
    first_labels = models.JSONField(null=True, blank=True)
    second_labels = models.JSONField(null=True, blank=True)

    class Meta:
        indexes = [
            # The stream (open, oldest first) and the adjudication list (disagreed), of every
            # site or one; the quality page's latest second reviews, likewise.
            models.Index(fields=["state", "drawn_at", "id"], name="sample_stream"),
            models.Index(fields=["site", "state", "drawn_at", "id"], name="sample_site_stream"),
            models.Index(fields=["reviewed_at", "id"], name="sample_reviewed"),
            models.Index(fields=["site", "reviewed_at", "id"], name="sample_site_reviewed"),
        ]

    def __str__(self):
        return f"sample {self.comment_id} ({self.state})"


class GoldItem(models.Model):
    """A comment with reference labels ({category id: 0 or 1}) set by an Admin, mixed
    unannounced into every moderator's second-review stream to measure their accuracy."""

    comment = models.OneToOneField(Comment, on_delete=models.PROTECT, related_name="gold")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    labels = models.JSONField(default=dict)
    note = models.TextField()
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    retired_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"gold {self.comment_id}"


class Adjudication(models.Model):
    """The final labels ({category id: 0 or 1}) an Admin gave a sample its two reviewers
    disagreed on. Recorded beside the reviews, which stay as they were."""

    sample = models.OneToOneField(Sample, on_delete=models.PROTECT, related_name="adjudication")
    comment = models.ForeignKey(Comment, on_delete=models.PROTECT, related_name="+")
    adjudicator = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    labels = models.JSONField(default=dict)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"adjudication of {self.comment_id}"


# Insights: roll-ups kept current by the services (`moderation.services.insights`), in the
# transaction that changes what they count, so /insights/ reads a few hundred rows, never
# the comments or decisions. Every counter is a signed integer: a roll-up that drifted (rows
# written past the services) must not turn a decision into an error; `manage.py
# recount_insights` puts it right. Days are in the dashboard's time zone; a week is the
# date of its Monday.


class InsightDay(models.Model):
    """A site's day: comments that arrived (were posted), decisions made to each status
    (an undone decision and its undo in neither), and the change in its backlog."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+", db_index=False)
    day = models.DateField()
    arrived = models.IntegerField(default=0)
    approved = models.IntegerField(default=0)
    removed = models.IntegerField(default=0)
    escalated = models.IntegerField(default=0)
    reopened = models.IntegerField(default=0, help_text="Decisions back to pending.")
    pending_change = models.IntegerField(default=0)
    escalated_change = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "day"], name="insight_day_key"),
        ]
        indexes = [models.Index(fields=["day"], name="insight_day_range")]

    def __str__(self):
        return f"{self.site_id} {self.day}"


class InsightModeratorDay(models.Model):
    """One moderator's decisions on a site's day, by status, and how many of them were undone
    (counted on the day of the undone decision, which leaves the status counts)."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+", db_index=False)
    day = models.DateField()
    moderator = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", db_index=False)
    approved = models.IntegerField(default=0)
    removed = models.IntegerField(default=0)
    escalated = models.IntegerField(default=0)
    reopened = models.IntegerField(default=0)
    undone = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["site", "day", "moderator"], name="insight_moderator_day_key"
            ),
        ]
        indexes = [models.Index(fields=["day"], name="insight_moderator_day_range")]

    def __str__(self):
        return f"{self.site_id} {self.day} {self.moderator_id}"


class InsightCategoryWeek(models.Model):
    """A category's week: removals citing it that stand (a comment removed now, counted in
    the week of the decision that removed it) and tags with it (not retracted, counted in
    the week they were made)."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+", db_index=False)
    week = models.DateField()
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    removals = models.IntegerField(default=0)
    tags = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["site", "week", "category"], name="insight_category_week_key"
            ),
        ]
        indexes = [models.Index(fields=["week"], name="insight_category_week_range")]

    def __str__(self):
        return f"{self.category_id} {self.week}"


class InsightArticleWeek(models.Model):
    """An article's removals that stand, by the week of the decision that removed each."""

    article = models.ForeignKey(
        "archive.Article", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    week = models.DateField()
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+", db_index=False)
    removals = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "week"], name="insight_article_week_key"),
        ]
        indexes = [
            models.Index(fields=["week"], name="insight_article_week_range"),
            models.Index(fields=["site", "week"], name="insight_article_site_week"),
        ]

    def __str__(self):
        return f"{self.article_id} {self.week}"


class InsightCommenterWeek(models.Model):
    """A commenter's removals that stand, by the week of the decision that removed each."""

    commenter = models.ForeignKey(
        Commenter, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    week = models.DateField()
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+", db_index=False)
    removals = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["commenter", "week", "site"], name="insight_commenter_week_key"
            ),
        ]
        indexes = [
            models.Index(fields=["week"], name="insight_commenter_week_range"),
            models.Index(fields=["site", "week"], name="insight_commenter_site_week"),
        ]

    def __str__(self):
        return f"{self.commenter_id} {self.week}"


class InsightWait(models.Model):
    """First decisions (a comment's first approval or removal that is neither undone nor
    itself an undo), counted by the week they were made and the wait since the comment's
    arrival, as a bucket of a log scale (`services.insights.bucket`: 16 buckets per
    doubling, each 4.43 % wide): a week's percentiles from its few hundred buckets."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+", db_index=False)
    week = models.DateField()
    bucket = models.SmallIntegerField()
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "week", "bucket"], name="insight_wait_key"),
        ]
        # Every site's weeks: read from the index alone.
        indexes = [models.Index(fields=["week", "site", "bucket", "n"], name="insight_wait_range")]

    def __str__(self):
        return f"{self.site_id} {self.week} bucket {self.bucket}"


class InsightModeratorWait(models.Model):
    """The same first decisions by who made them (each moderator's median wait)."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+", db_index=False)
    week = models.DateField()
    moderator = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+", db_index=False)
    bucket = models.SmallIntegerField()
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["site", "week", "moderator", "bucket"], name="insight_moderator_wait_key"
            ),
        ]
        indexes = [
            models.Index(
                fields=["week", "site", "moderator", "bucket", "n"],
                name="insight_moderator_wait_range",
            )
        ]

    def __str__(self):
        return f"{self.site_id} {self.week} {self.moderator_id} bucket {self.bucket}"


class InsightScreening(models.Model):
    """The same first decisions by their outcome and whether screening had flagged the
    comment when it was decided."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+", db_index=False)
    week = models.DateField()
    outcome = models.CharField(max_length=10, choices=Status.choices)
    flagged = models.BooleanField()
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["site", "week", "outcome", "flagged"], name="insight_screening_key"
            ),
        ]
        indexes = [models.Index(fields=["week"], name="insight_screening_range")]

    def __str__(self):
        return f"{self.site_id} {self.week} {self.outcome} flagged={self.flagged}"


class InsightZone(models.Model):
    """How the roll-ups were counted (one row, written by the migration that made them and
    by `recount_insights`): the time zone of their days (when `TIME_ZONE` changes, /insights/
    says they need counting again) and whether they cover the records made before them."""

    time_zone = models.CharField(max_length=64)
    # False on a database that had comments when the roll-ups were made (an upgrade): they
    # hold only what came after, until `recount_insights` counts everything.
    counted = models.BooleanField(default=True)

    def __str__(self):
        return self.time_zone

"""The export's filter (the queue's, with every status by default and "reviewed only") and
its options form."""

import django_filters
from django import forms
from django.db.models import Exists, F, OuterRef, Q

from moderation.export.reviews import judging_decisions, latest_reviews_by_moderator
from moderation.export.writers import _iso
from moderation.filters import QueueFilter
from moderation.models import CommentReview, Status, Tag


def reviewed_q() -> Q:
    """A comment is reviewed when it has a reviewer: any tag (retracted ones included), a
    moderator whose own latest decision on it is an approval or a removal, or a review."""
    return (
        Q(Exists(Tag.objects.filter(comment=OuterRef("pk"))))
        | Q(Exists(judging_decisions().filter(comment=OuterRef("pk"))))
        | Q(Exists(CommentReview.objects.filter(comment=OuterRef("pk"))))
    )


def positive_q(category, moderator=None) -> Q:
    """The comments with a positive label in `category` (by `moderator`, when given), by the
    export's rules: a tag in force, a moderator's own latest decision removing it for the
    category, a moderator's latest review citing it. Each is a set of comment ids read
    along an index on the category, so the cost follows the positives, not the comments."""
    by = {"moderator": moderator} if moderator is not None else {}
    tags = Tag.objects.current().filter(category=category, **by)
    removals = judging_decisions().filter(status=Status.REMOVED, reasons=category, **by)
    reviews = latest_reviews_by_moderator().filter(positives=category, **by)
    return (
        Q(pk__in=tags.values("comment_id"))
        | Q(pk__in=removals.values("comment_id"))
        | Q(pk__in=reviews.values("comment_id"))
    )


def reviewer_q(moderator) -> Q:
    """The comments `moderator` reviewed (the export's rule: a tag, retracted or not; their
    own latest decision an approval or a removal; a review). An escalation alone is not."""
    return (
        Q(pk__in=Tag.objects.filter(moderator=moderator).values("comment_id"))
        | Q(pk__in=judging_decisions().filter(moderator=moderator).values("comment_id"))
        | Q(pk__in=CommentReview.objects.filter(moderator=moderator).values("comment_id"))
    )


class ExportFilter(QueueFilter):
    """The queue's FilterSet: site, article, category, status, moderator, posting dates; plus
    reviewed only. Its default status is "all" (the queue's is "pending"); the queue's text
    search, commenter, replies and order filters are left out (rows come in id order).

    `with_moderator=False` (a Researcher's export) leaves out the moderator filter too: its
    list names every user, and the codebook of an export filtered by one would print that
    user's pseudonym, a key from usernames to pseudonyms. `ignored` then names the parameter
    if it was given anyway, for the view to say so."""

    reviewed = django_filters.BooleanFilter(
        method="filter_reviewed", label="Reviewed only", widget=forms.CheckboxInput
    )
    NOT_FOR_EXPORT = ("q", "commenter", "has_replies", "order", "assigned")
    LABELS = {"status": "Status", "category": "Category", "site": "Site", "moderator": "Moderator"}

    def __init__(self, data=None, *args, with_moderator: bool = True, **kwargs):
        data = data.copy() if data is not None else {}
        data.setdefault("status", "all")
        super().__init__(data, *args, **kwargs)
        for name in self.NOT_FOR_EXPORT:
            self.filters.pop(name, None)
        # QueueFilter's method filters have no label (django-filter shows "[invalid name]").
        for name, label in self.LABELS.items():
            self.filters[name].label = label
        self.ignored: list[str] = []
        if not with_moderator:
            self.filters.pop("moderator")
            if data.get("moderator"):
                self.ignored.append("moderator")

    def _lead_table(self) -> dict:
        # The comments' states always lead: category and moderator are the export's own
        # rules (labels), not the queue's marks.
        return {
            "lead_at": F("moderation__queued_at"),
            "lead_id": F("moderation__comment_id"),
            "lead_status": F("moderation__status"),
        }

    def filter_category(self, queryset, name, value):
        """Every comment with a positive label in the category (by the moderator filtered
        for, if one is), whatever its status and whoever decided it."""
        return queryset.filter(positive_q(value, self._cleaned("moderator")))

    def filter_moderator(self, queryset, name, value):
        """The comments the moderator reviewed; their labels alone are exported."""
        return queryset.filter(reviewer_q(value))

    def filter_reviewed(self, queryset, name, value):
        return queryset.filter(reviewed_q()) if value else queryset

    def used(self) -> dict:
        """The cleaned filters as plain values (no names of people): what the audit records."""
        data = self.form.cleaned_data
        posted = data.get("posted")
        return {
            "status": data.get("status") or "all",
            "site": data["site"].name if data.get("site") else None,
            # One article as its id (as before names were accepted), several as their ids.
            "article": _one_or_all(data.get("article")),
            "category": (
                f"{data['category'].site.name}/{data['category'].slug}"
                if data.get("category")
                else None
            ),
            "moderator": data["moderator"].pk if data.get("moderator") else None,
            "posted_after": _iso(posted.start) if posted else None,
            "posted_before": _iso(posted.stop) if posted else None,
            "reviewed_only": bool(data.get("reviewed")),
        }


class OptionsForm(forms.Form):
    real_names = forms.BooleanField(
        required=False,
        label="Real names instead of pseudonyms (Admins only; recorded in the audit log)",
    )


def _one_or_all(ids):
    if not ids:
        return None
    return ids[0] if len(ids) == 1 else list(ids)

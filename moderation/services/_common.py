"""What every service shares: the capability check, note cleaning, audit appends, and the
wording of who did something when."""

from django.db.models import F
from django.utils import timezone

from archive.models import Comment, Commenter, Site
from moderation import audit, permissions
from moderation.models import NOTE_MAX_LENGTH, CommenterRecord
from moderation.services.errors import Invalid, NotAllowed


def require(user, capability):
    if not permissions.can(user, capability):
        raise NotAllowed("You do not have permission to do that.")


def clean_note(note: str) -> str:
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise Invalid(f"A note can be at most {NOTE_MAX_LENGTH} characters.")
    return note


def comment_refs(comment: Comment) -> dict:
    """The audit references of an action on a comment."""
    return {
        "site_id": comment.article.site_id,
        "article": comment.article,
        "comment": comment,
        "commenter_id": comment.commenter_id,
    }


def append(**kwargs):
    """audit.append, taking ids for site and commenter as well as objects."""
    site_id = kwargs.pop("site_id", None)
    commenter_id = kwargs.pop("commenter_id", None)
    if site_id is not None and kwargs.get("site") is None:
        kwargs["site"] = Site(pk=site_id)
    if commenter_id is not None and kwargs.get("commenter") is None:
        kwargs["commenter"] = Commenter(pk=commenter_id)
    return audit.append(**kwargs)


def who(user) -> str:
    return user.get_username() if user else "the system"


def when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "at some point"


def change_record(commenter_id: int | None, *, removals: int = 0, blocks: int = 0, **fields):
    """Keep a commenter's record current: add to its counters, set `fields`. Anonymous
    comments have no commenter, hence no record."""
    if commenter_id is None:
        return
    changes = {**fields}
    if removals:
        changes["removals"] = F("removals") + removals
    if blocks:
        changes["blocks"] = F("blocks") + blocks
    if not CommenterRecord.objects.filter(pk=commenter_id).update(**changes):
        # A commenter stored before records existed and missed by the migration: start one.
        CommenterRecord.objects.create(
            commenter_id=commenter_id, removals=max(removals, 0), blocks=max(blocks, 0), **fields
        )

"""Commenters: blocks (the site's right "to block users who violate its standards") and
moderators' notes."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from archive.models import Commenter
from moderation import permissions
from moderation.actions import Action
from moderation.audit import Context
from moderation.models import CommenterBlock, CommenterNote
from moderation.services._common import append, change_record, clean_note, require, when, who
from moderation.services.errors import Conflict, Invalid
from moderation.services.locks import lock, retried

# Commenters


@retried
def block(
    user,
    commenter: Commenter,
    *,
    reason: str,
    expires_at: datetime | None = None,
    context: Context | None = None,
) -> CommenterBlock:
    require(user, permissions.MODERATE)
    reason = clean_note(reason)
    if not reason:
        raise Invalid("A block needs a reason.")
    if expires_at is not None and expires_at <= timezone.now():
        raise Invalid("The expiry must be in the future (or left empty for no expiry).")
    with transaction.atomic():
        lock(Commenter.objects.filter(pk=commenter.pk)).first()
        current = CommenterBlock.objects.in_force().filter(commenter=commenter).first()
        if current:
            until = f"until {when(current.expires_at)}" if current.expires_at else "with no expiry"
            raise Conflict(
                f"{commenter} is already blocked {until} (by {who(current.created_by)})."
            )
        new = CommenterBlock.objects.create(
            commenter=commenter, reason=reason, expires_at=expires_at, created_by=user
        )
        change_record(commenter.pk, blocks=1, blocked=True, blocked_until=expires_at)
        append(
            actor=user,
            action=Action.COMMENTER_BLOCK,
            target=new,
            after={"reason": reason, "expires_at": expires_at.isoformat() if expires_at else None},
            note=reason,
            context=context,
            site_id=commenter.site_id,
            commenter=commenter,
        )
        return new


@retried
def unblock(
    user, block_: CommenterBlock, *, note: str = "", context: Context | None = None
) -> CommenterBlock:
    require(user, permissions.MODERATE)
    note = clean_note(note)
    with transaction.atomic():
        block_ = lock(CommenterBlock.objects.filter(pk=block_.pk)).get()
        if not block_.in_force:
            raise Conflict("This block is no longer in force.")
        block_.lifted_at, block_.lifted_by, block_.lift_note = timezone.now(), user, note
        block_.save(update_fields=["lifted_at", "lifted_by", "lift_note"])
        change_record(block_.commenter_id, blocked=False, blocked_until=None)
        append(
            actor=user,
            action=Action.COMMENTER_UNBLOCK,
            target=block_,
            before={"in_force": True},
            after={"in_force": False},
            note=note,
            context=context,
            site_id=block_.commenter.site_id,
            commenter=block_.commenter,
        )
        return block_


@retried
def add_commenter_note(
    user, commenter: Commenter, *, text: str, context: Context | None = None
) -> CommenterNote:
    require(user, permissions.MODERATE)
    text = clean_note(text)
    if not text:
        raise Invalid("The note is empty.")
    with transaction.atomic():
        note = CommenterNote.objects.create(commenter=commenter, author=user, text=text)
        append(
            actor=user,
            action=Action.COMMENTER_NOTE,
            target=note,
            after={"text": text},
            note=text,
            context=context,
            site_id=commenter.site_id,
            commenter=commenter,
        )
        return note

"""The only write path for moderation data.

Every function takes the acting user, checks the capability and the state it expects,
writes its change and exactly one AuditEvent in one transaction, and raises a domain error
(`NotAllowed`, `Conflict`, `Invalid`) with a message a moderator can act on. Views, admin
actions and commands call these; nothing else writes moderation models. `tag`, `retract` and
`decide` hand back their event as `.audit_event` on what they return (for undo).
"""

from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

from archive.models import Comment, Commenter, Site
from moderation import audit, permissions
from moderation.audit import Context
from moderation.models import (
    AuditEvent,
    Category,
    CommenterBlock,
    CommenterNote,
    Decision,
    ModerationState,
    Policy,
    Status,
    Tag,
)

# The posted policy forbids "profanity, personal attacks or other inappropriate material":
# one category for each, in that order (their keyboard digits are 1, 2, 3).
DEFAULT_CATEGORIES = [
    (
        "profanity",
        "Profanity",
        "Obscene or vulgar language: swear words and crude insults, spelled out or thinly "
        "disguised (b*****d).",
    ),
    (
        "personal-attack",
        "Personal attack",
        "Insults, name-calling or contempt aimed at a person (another commenter, the author, "
        "someone in the news) rather than at what they said or did.",
    ),
    (
        "other-inappropriate",
        "Other inappropriate material",
        "Anything else the policy does not permit: threats, harassment, hateful generalisations "
        "about a group, spam or advertising, someone's private information.",
    ),
]
MAX_NOTE = 5000


class ModerationError(Exception):
    """Base of the domain errors; str() is the message to show."""


class NotAllowed(ModerationError):
    pass


class Conflict(ModerationError):
    pass


class Invalid(ModerationError):
    pass


def _require(user, capability):
    if not permissions.can(user, capability):
        raise NotAllowed("You do not have permission to do that.")


def _clean_note(note: str) -> str:
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise Invalid(f"A note can be at most {MAX_NOTE} characters.")
    return note


def _comment_refs(comment: Comment) -> dict:
    return {
        "site_id": comment.article.site_id,
        "article": comment.article,
        "comment": comment,
        "commenter_id": comment.commenter_id,
    }


def _append(**kwargs):
    """audit.append, taking ids for site and commenter as well as objects."""
    site_id = kwargs.pop("site_id", None)
    commenter_id = kwargs.pop("commenter_id", None)
    if site_id is not None and kwargs.get("site") is None:
        kwargs["site"] = Site(pk=site_id)
    if commenter_id is not None and kwargs.get("commenter") is None:
        kwargs["commenter"] = Commenter(pk=commenter_id)
    return audit.append(**kwargs)


# Policy and categories


def current_policy(site: Site) -> Policy | None:
    return site.policies.order_by("-version").first()


def _snapshot_categories(site: Site) -> list[dict]:
    return [c.snapshot() for c in Category.objects.filter(site=site).order_by("order", "pk")]


def _new_policy_version(site, *, text, user, note) -> Policy:
    latest = site.policies.aggregate(v=Max("version"))["v"] or 0
    return Policy.objects.create(
        site=site,
        version=latest + 1,
        text=text,
        categories=_snapshot_categories(site),
        created_by=user,
        note=note,
    )


def sync_posted_policy(site: Site) -> Policy | None:
    """Give a site its first policy version (its posted text and the default categories),
    or record its posted text if the current version has none. Called when a site is saved,
    by whatever path (import, fixtures, admin); an admin's edits are never overwritten."""
    with transaction.atomic():
        Site.objects.select_for_update().filter(pk=site.pk).first()
        policy = current_policy(site)
        if policy is None:
            for order, (slug, name, definition) in enumerate(DEFAULT_CATEGORIES, 1):
                Category.objects.get_or_create(
                    site=site,
                    slug=slug,
                    defaults={"name": name, "definition": definition, "order": order},
                )
            policy = _new_policy_version(
                site, text=site.policy_text, user=None, note="Posted policy and default categories"
            )
            _append(
                actor=None,
                action="policy.create",
                target=policy,
                after={
                    "version": policy.version,
                    "text": policy.text,
                    "categories": [c["slug"] for c in policy.categories],
                },
                site=site,
            )
            return policy
        if site.policy_text and not policy.text:
            new = _new_policy_version(
                site, text=site.policy_text, user=None, note="Posted policy text imported"
            )
            _append(
                actor=None,
                action="policy.edit",
                target=new,
                before={"version": policy.version, "text": policy.text},
                after={"version": new.version, "text": new.text},
                note=new.note,
                site=site,
            )
            return new
        return policy


def edit_policy(user, site: Site, *, text: str, expected_version: int, note="", context=None):
    _require(user, permissions.EDIT_POLICY)
    text = (text or "").strip()
    if not text:
        raise Invalid("The policy text cannot be empty.")
    with transaction.atomic():
        Site.objects.select_for_update().filter(pk=site.pk).first()
        current = current_policy(site)
        if current and current.version != expected_version:
            raise Conflict(
                f"The policy changed while you were editing: it is now version {current.version} "
                f"(by {_who(current.created_by)}, {_when(current.created_at)}). "
                "Nothing was saved."
            )
        if current and current.text == text:
            raise Invalid("The text is the same as the current version.")
        new = _new_policy_version(site, text=text, user=user, note=_clean_note(note))
        _append(
            actor=user,
            action="policy.edit",
            target=new,
            before={"version": current.version, "text": current.text} if current else None,
            after={"version": new.version, "text": new.text},
            note=new.note,
            context=context,
            site=site,
        )
        return new


def add_category(user, site: Site, *, name: str, definition: str, context=None) -> Category:
    _require(user, permissions.EDIT_POLICY)
    name, definition = (name or "").strip(), (definition or "").strip()
    if not name or not definition:
        raise Invalid("A category needs a name and a definition moderators can apply.")
    slug = slugify(name)[:50]
    if not slug:
        raise Invalid("The name needs at least one letter or digit.")
    with transaction.atomic():
        Site.objects.select_for_update().filter(pk=site.pk).first()
        if Category.objects.filter(site=site, slug=slug).exists():
            raise Conflict(f"{site} already has a category {name!r}.")
        order = (Category.objects.filter(site=site).aggregate(o=Max("order"))["o"] or 0) + 1
        category = Category.objects.create(
            site=site, slug=slug, name=name, definition=definition, order=order
        )
        policy = _new_policy_version(
            site, text=_current_text(site), user=user, note=f"Added category {name}"
        )
        _append(
            actor=user,
            action="category.add",
            target=category,
            after={**category.snapshot(), "policy_version": policy.version},
            context=context,
            site=site,
        )
        return category


def edit_category(
    user, category: Category, *, name: str, definition: str, active: bool, context=None
) -> Category:
    _require(user, permissions.EDIT_POLICY)
    name, definition = (name or "").strip(), (definition or "").strip()
    if not name or not definition:
        raise Invalid("A category needs a name and a definition moderators can apply.")
    with transaction.atomic():
        # The site first, as every policy change does: versions are numbered per site.
        Site.objects.select_for_update().filter(pk=category.site_id).first()
        category = Category.objects.select_for_update().get(pk=category.pk)
        before = category.snapshot()
        category.name, category.definition, category.active = name, definition, active
        if category.snapshot() == before:
            raise Invalid("Nothing changed.")
        category.save(update_fields=["name", "definition", "active"])
        policy = _new_policy_version(
            category.site,
            text=_current_text(category.site),
            user=user,
            note=f"Edited category {name}",
        )
        _append(
            actor=user,
            action="category.edit",
            target=category,
            before=before,
            after={**category.snapshot(), "policy_version": policy.version},
            context=context,
            site=category.site,
        )
        return category


def _current_text(site):
    current = current_policy(site)
    return current.text if current else site.policy_text


# Tags


def tag(
    user,
    comment: Comment,
    category: Category,
    *,
    note: str = "",
    span: tuple[int, int] | None = None,
    quoted_text: str | None = None,
    context: Context | None = None,
    undoes: int | None = None,
) -> Tag:
    """Tag a comment, or the span [start, end) of its text, with a category."""
    _require(user, permissions.MODERATE)
    if category.site_id != comment.article.site_id:
        raise Invalid(f"{category.name!r} is not a category of {comment.article.site}.")
    if not category.active:
        raise Invalid(f"{category.name!r} is retired; it can no longer be applied.")
    start = end = None
    quote = ""
    if span is not None:
        start, end = span
        text = comment.body_text
        if not (0 <= start < end <= len(text)):
            raise Invalid(
                f"The selection {start}-{end} is not inside the comment's text (0-{len(text)})."
            )
        quote = text[start:end]
        if quoted_text is not None and quoted_text != quote:
            raise Invalid("The selected text no longer matches the comment; select it again.")
    note = _clean_note(note)
    with transaction.atomic():
        # Lock the comment so two identical tags sent at once cannot both pass the check.
        Comment.objects.select_for_update().filter(pk=comment.pk).first()
        duplicate = Tag.objects.current().filter(
            comment=comment, category=category, moderator=user, span_start=start, span_end=end
        )
        if duplicate.exists():
            raise Conflict(
                f"You already tagged this {'passage' if span else 'comment'} as {category.name}."
            )
        policy = current_policy(comment.article.site) or sync_posted_policy(comment.article.site)
        new = Tag.objects.create(
            comment=comment,
            category=category,
            moderator=user,
            policy=policy,
            span_start=start,
            span_end=end,
            quoted_text=quote,
            note=note,
        )
        after = {
            "category": category.slug,
            "span": [start, end] if span else None,
            "quoted_text": quote,
            "policy_version": policy.version,
        }
        if undoes:
            after["undoes"] = undoes
        new.audit_event = _append(
            actor=user,
            action="tag.add",
            target=new,
            after=after,
            note=note,
            context=context,
            **_comment_refs(comment),
        )
        return new


def retract(
    user, tag_: Tag, *, note: str = "", context: Context | None = None, undoes: int | None = None
) -> Tag:
    """Withdraw one's own tag. The row stays, marked retracted, for the record."""
    _require(user, permissions.MODERATE)
    note = _clean_note(note)
    with transaction.atomic():
        tag_ = Tag.objects.select_for_update().select_related("comment__article").get(pk=tag_.pk)
        if tag_.moderator_id != user.pk:
            raise NotAllowed("Only the moderator who made a tag can retract it.")
        if tag_.retracted_at is not None:
            raise Conflict(f"This tag was already retracted {_when(tag_.retracted_at)}.")
        tag_.retracted_at = timezone.now()
        tag_.retracted_by = user
        tag_.save(update_fields=["retracted_at", "retracted_by"])
        after = {"retracted": True}
        if undoes:
            after["undoes"] = undoes
        tag_.audit_event = _append(
            actor=user,
            action="tag.retract",
            target=tag_,
            before={"category": tag_.category.slug, "retracted": False},
            after=after,
            note=note,
            context=context,
            **_comment_refs(tag_.comment),
        )
        return tag_


# Decisions


def state_of(comment: Comment) -> tuple[str, int]:
    state = ModerationState.objects.filter(comment=comment).first()
    return (state.status, state.version) if state else (Status.PENDING, 0)


def decide(
    user,
    comment: Comment,
    status: str,
    *,
    expected_version: int,
    reasons: Iterable[Category] = (),
    note: str = "",
    context: Context | None = None,
    undoes: int | None = None,
) -> Decision:
    """Set a comment's status. `expected_version` is the version the moderator saw: if
    someone decided in between, the action is refused with what changed and by whom."""
    _require(user, permissions.MODERATE)
    if status not in Status.values:
        raise Invalid(f"{status!r} is not a status; use one of {', '.join(Status.values)}.")
    reasons = list(reasons)
    note = _clean_note(note)
    site_id = comment.article.site_id
    if any(r.site_id != site_id for r in reasons):
        raise Invalid(f"A reason is not a category of {comment.article.site}.")
    if status == Status.REMOVED and not reasons:
        raise Invalid("Removing a comment needs at least one category as the reason.")
    if status != Status.REMOVED and reasons:
        raise Invalid("Only a removal takes categories as reasons.")
    with transaction.atomic():
        state = ModerationState.objects.select_for_update().filter(comment=comment).first()
        if state is None:
            try:
                with transaction.atomic():
                    state = ModerationState.objects.create(comment=comment)
            except IntegrityError:
                raise _stale(comment, expected_version) from None
            state = ModerationState.objects.select_for_update().get(pk=state.pk)
        if state.version != expected_version:
            raise _stale(comment, expected_version)
        if state.status == status:
            raise Invalid(f"This comment is already {Status(status).label.lower()}.")
        if (
            status == Status.APPROVED
            and not note
            and Tag.objects.current().filter(comment=comment).exists()
        ):
            raise Invalid("This comment carries tags: approving it needs a note saying why.")
        decision = Decision.objects.create(
            comment=comment,
            status=status,
            previous_status=state.status,
            moderator=user,
            note=note,
            version=state.version + 1,
        )
        decision.reasons.set(reasons)
        before = {"status": state.status, "version": state.version}
        state.status, state.version, state.decision = status, decision.version, decision
        state.save(update_fields=["status", "version", "decision"])
        after = {
            "status": status,
            "version": state.version,
            "reasons": [r.slug for r in reasons],
        }
        if undoes:
            after["undoes"] = undoes
        decision.audit_event = _append(
            actor=user,
            action=f"comment.{status}",
            target=comment,
            before=before,
            after=after,
            note=note,
            context=context,
            **_comment_refs(comment),
        )
        return decision


def _stale(comment: Comment, expected_version: int) -> Conflict:
    state = ModerationState.objects.select_related("decision__moderator").get(comment=comment)
    last = state.decision
    who = f"{_who(last.moderator)} {_when(last.created_at)}" if last else "someone"
    return Conflict(
        f"Comment {comment.position} changed while you were looking: {who} set it to "
        f"{Status(state.status).label.lower()} (version {state.version}; you saw version "
        f"{expected_version}). Nothing was changed; review it again."
    )


# Commenters


def block(
    user,
    commenter: Commenter,
    *,
    reason: str,
    expires_at: datetime | None = None,
    context: Context | None = None,
) -> CommenterBlock:
    _require(user, permissions.MODERATE)
    reason = _clean_note(reason)
    if not reason:
        raise Invalid("A block needs a reason.")
    if expires_at is not None and expires_at <= timezone.now():
        raise Invalid("The expiry must be in the future (or left empty for no expiry).")
    with transaction.atomic():
        Commenter.objects.select_for_update().filter(pk=commenter.pk).first()
        current = CommenterBlock.objects.in_force().filter(commenter=commenter).first()
        if current:
            until = f"until {_when(current.expires_at)}" if current.expires_at else "with no expiry"
            raise Conflict(
                f"{commenter} is already blocked {until} (by {_who(current.created_by)})."
            )
        new = CommenterBlock.objects.create(
            commenter=commenter, reason=reason, expires_at=expires_at, created_by=user
        )
        _append(
            actor=user,
            action="commenter.block",
            target=new,
            after={"reason": reason, "expires_at": expires_at.isoformat() if expires_at else None},
            note=reason,
            context=context,
            site_id=commenter.site_id,
            commenter=commenter,
        )
        return new


def unblock(
    user, block_: CommenterBlock, *, note: str = "", context: Context | None = None
) -> CommenterBlock:
    _require(user, permissions.MODERATE)
    note = _clean_note(note)
    with transaction.atomic():
        block_ = CommenterBlock.objects.select_for_update().get(pk=block_.pk)
        if not block_.in_force:
            raise Conflict("This block is no longer in force.")
        block_.lifted_at, block_.lifted_by, block_.lift_note = timezone.now(), user, note
        block_.save(update_fields=["lifted_at", "lifted_by", "lift_note"])
        _append(
            actor=user,
            action="commenter.unblock",
            target=block_,
            before={"in_force": True},
            after={"in_force": False},
            note=note,
            context=context,
            site_id=block_.commenter.site_id,
            commenter=block_.commenter,
        )
        return block_


def add_commenter_note(
    user, commenter: Commenter, *, text: str, context: Context | None = None
) -> CommenterNote:
    _require(user, permissions.MODERATE)
    text = _clean_note(text)
    if not text:
        raise Invalid("The note is empty.")
    with transaction.atomic():
        note = CommenterNote.objects.create(commenter=commenter, author=user, text=text)
        _append(
            actor=user,
            action="commenter.note",
            target=note,
            after={"text": text},
            note=text,
            context=context,
            site_id=commenter.site_id,
            commenter=commenter,
        )
        return note


# Undo

UNDOABLE = {
    "tag.add",
    "comment.approved",
    "comment.removed",
    "comment.escalated",
    "comment.pending",
}


def undo(user, event: AuditEvent, *, context: Context | None = None) -> AuditEvent:
    """Reverse one of the user's own tag or decision actions with a new, audited action.
    History is never rewritten: the original event stays, the reversal is recorded after."""
    _require(user, permissions.MODERATE)
    if event.actor_id != user.pk:
        raise NotAllowed("You can only undo your own actions.")
    if event.action not in UNDOABLE:
        raise Invalid(f"{event.action} cannot be undone from here.")
    if AuditEvent.objects.filter(after__undoes=event.pk).exists():
        raise Conflict("That action was already undone.")
    if event.action == "tag.add":
        retract(
            user,
            Tag.objects.get(pk=event.target_id),
            note="Undone",
            context=context,
            undoes=event.pk,
        )
    else:
        comment = Comment.objects.select_related("article").get(pk=event.comment_id)
        previous = event.before["status"]
        reasons = []
        if previous == Status.REMOVED:
            earlier = (
                Decision.objects.filter(comment=comment, version=event.before["version"])
                .prefetch_related("reasons")
                .first()
            )
            reasons = list(earlier.reasons.all()) if earlier else []
        decide(
            user,
            comment,
            previous,
            expected_version=event.after["version"],
            reasons=reasons,
            note="Undone" if previous == Status.APPROVED else "",
            context=context,
            undoes=event.pk,
        )
    return AuditEvent.objects.filter(actor=user).order_by("-id").first()


# Imports (the archive's signal)


def record_import(*, site, source, origin, report, user=None) -> AuditEvent:
    """One audit event per imported file, inside the import's own transaction."""
    return _append(
        actor=user,
        action="import",
        target=site,
        after={
            "source": source,
            "file": origin,
            "articles_created": report.articles_created,
            "articles_updated": report.articles_updated,
            "comments_created": report.comments_created,
            "comments_updated": report.comments_updated,
            "comments_unchanged": report.comments_unchanged,
            "commenters_created": report.commenters_created,
        },
        note=origin,
        site=site,
    )


def _who(user) -> str:
    return user.get_username() if user else "the system"


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "at some point"


# Dashboard users (admins)

ROLES = ("Admin", "Moderator", "Researcher")


def _roles_of(user) -> list[str]:
    return sorted(user.groups.filter(name__in=ROLES).values_list("name", flat=True))


def _user_event(actor, action, user, *, before=None, after=None, note="", context=None):
    return _append(
        actor=actor,
        action=action,
        target=user,
        before=before,
        after=after,
        note=note,
        context=context,
    )


def create_user(
    actor, *, username: str, email: str, roles: Iterable[str], context: Context | None = None
):
    """A new dashboard user with no usable password: they choose one through the emailed
    set-password link. Users are never deleted, so the audit history keeps its actors."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    _require(actor, permissions.MANAGE_USERS)
    User = get_user_model()
    username, email, roles = (username or "").strip(), (email or "").strip(), sorted(set(roles))
    if not username:
        raise Invalid("A user needs a username.")
    if not email:
        raise Invalid("A user needs an email address to receive the set-password link.")
    if unknown := [r for r in roles if r not in ROLES]:
        raise Invalid(f"Unknown role(s): {', '.join(unknown)}.")
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise Conflict(f"The username {username!r} is taken.")
        if other := User.objects.filter(email__iexact=email).first():
            raise Conflict(f"{email} is already the address of {other.get_username()}.")
        user = User(username=username, email=email)
        user.set_unusable_password()
        user.save()
        user.groups.set(Group.objects.filter(name__in=roles))
        _user_event(
            actor,
            "user.create",
            user,
            after={"username": username, "email": email, "roles": roles},
            context=context,
        )
        return user


def set_roles(actor, user, roles: Iterable[str], *, context: Context | None = None):
    from django.contrib.auth.models import Group

    _require(actor, permissions.MANAGE_USERS)
    roles = sorted(set(roles))
    if unknown := [r for r in roles if r not in ROLES]:
        raise Invalid(f"Unknown role(s): {', '.join(unknown)}.")
    if user.pk == actor.pk and "Admin" not in roles and not actor.is_superuser:
        raise Invalid("You cannot take away your own Admin role; ask another admin.")
    with transaction.atomic():
        before = _roles_of(user)
        if before == roles:
            raise Invalid("Those are already the user's roles.")
        kept = user.groups.exclude(name__in=ROLES)
        user.groups.set([*kept, *Group.objects.filter(name__in=roles)])
        _user_event(
            actor,
            "user.roles",
            user,
            before={"roles": before},
            after={"roles": roles},
            context=context,
        )
        return user


def set_active(actor, user, active: bool, *, context: Context | None = None):
    """Deactivate (the account can no longer log in) or reactivate a user. Never delete."""
    _require(actor, permissions.MANAGE_USERS)
    if user.pk == actor.pk and not active:
        raise Invalid("You cannot deactivate your own account.")
    with transaction.atomic():
        type(user).objects.select_for_update().filter(pk=user.pk).first()
        user.refresh_from_db(fields=["is_active"])
        if user.is_active == active:
            state = "active" if active else "deactivated"
            raise Conflict(f"{user.get_username()} is already {state}.")
        user.is_active = active
        user.save(update_fields=["is_active"])
        _user_event(
            actor,
            "user.reactivate" if active else "user.deactivate",
            user,
            before={"active": not active},
            after={"active": active},
            context=context,
        )
        return user


def record_password_link(actor, user, *, context: Context | None = None):
    """An admin sent a user a set-password link: not a change of data, but of who can log in."""
    _require(actor, permissions.MANAGE_USERS)
    if not user.is_active or not user.email:
        raise Invalid(f"{user.get_username()} is inactive or has no email address.")
    with transaction.atomic():
        return _user_event(
            actor, "user.password_link", user, after={"email": user.email}, context=context
        )


# Research exports


def record_export(
    actor,
    *,
    what: str,
    filters: dict,
    rows: int,
    real_names: bool = False,
    context: Context | None = None,
) -> AuditEvent:
    """Every export is on the record: who, what, with which filters, how many rows. Real
    names instead of pseudonyms only for an Admin who asks for them explicitly."""
    _require(actor, permissions.EXPORT_DATA)
    if real_names and not permissions.can(actor, permissions.MANAGE_USERS):
        raise NotAllowed("Only an Admin may export real names instead of pseudonyms.")
    with transaction.atomic():
        return _append(
            actor=actor,
            action="export",
            target=None,
            after={"what": what, "filters": filters, "rows": rows, "real_names": real_names},
            note=f"{what}: {rows} row(s){' with real names' if real_names else ''}",
            context=context,
        )

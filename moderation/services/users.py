"""Dashboard users (Admins): accounts, roles, deactivation, set-password links. Users are never
deleted, so every audit event keeps its actor."""

from collections.abc import Iterable
from datetime import timedelta

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from moderation import permissions, queries, throttle
from moderation.actions import Action
from moderation.audit import Context
from moderation.services._common import append, require
from moderation.services.errors import Conflict, Invalid
from moderation.services.locks import lock, retried

ROLES = permissions.ROLES
HOUR = timedelta(hours=1)


def _roles_of(user) -> list[str]:
    return sorted(user.groups.filter(name__in=ROLES).values_list("name", flat=True))


def _user_event(actor, action, user, *, before=None, after=None, note="", context=None):
    return append(
        actor=actor,
        action=action,
        target=user,
        before=before,
        after=after,
        note=note,
        context=context,
    )


@retried
def create_user(
    actor, *, username: str, email: str, roles: Iterable[str], context: Context | None = None
):
    """A new dashboard user with no usable password: they choose one through the emailed
    set-password link. Users are never deleted, so the audit history keeps its actors."""
    require(actor, permissions.MANAGE_USERS)
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
            Action.USER_CREATE,
            user,
            after={"username": username, "email": email, "roles": roles},
            context=context,
        )
        return user


@retried
def set_roles(actor, user, roles: Iterable[str], *, context: Context | None = None):
    require(actor, permissions.MANAGE_USERS)
    roles = sorted(set(roles))
    if unknown := [r for r in roles if r not in ROLES]:
        raise Invalid(f"Unknown role(s): {', '.join(unknown)}.")
    if user.pk == actor.pk and permissions.ADMIN not in roles and not actor.is_superuser:
        raise Invalid(f"You cannot take away your own {permissions.ADMIN} role; ask another admin.")
    with transaction.atomic():
        before = _roles_of(user)
        if before == roles:
            raise Invalid("Those are already the user's roles.")
        kept = user.groups.exclude(name__in=ROLES)
        user.groups.set([*kept, *Group.objects.filter(name__in=roles)])
        _user_event(
            actor,
            Action.USER_ROLES,
            user,
            before={"roles": before},
            after={"roles": roles},
            context=context,
        )
        return user


@retried
def set_active(actor, user, active: bool, *, context: Context | None = None):
    """Deactivate (the account can no longer log in) or reactivate a user. Never delete."""
    require(actor, permissions.MANAGE_USERS)
    if user.pk == actor.pk and not active:
        raise Invalid("You cannot deactivate your own account.")
    with transaction.atomic():
        lock(type(user).objects.filter(pk=user.pk)).first()
        user.refresh_from_db(fields=["is_active"])
        if user.is_active == active:
            state = "active" if active else "deactivated"
            raise Conflict(f"{user.get_username()} is already {state}.")
        user.is_active = active
        user.save(update_fields=["is_active"])
        _user_event(
            actor,
            Action.USER_REACTIVATE if active else Action.USER_DEACTIVATE,
            user,
            before={"active": not active},
            after={"active": active},
            context=context,
        )
        return user


# At most this many set-password links to one user per hour (each is an e-mail to them).
LINKS_PER_HOUR = 3


@retried
def record_password_link(actor, user, *, context: Context | None = None):
    """An admin sent a user a set-password link: not a change of data, but of who can log in."""
    require(actor, permissions.MANAGE_USERS)
    if not user.is_active or not user.email:
        raise Invalid(f"{user.get_username()} is inactive or has no email address.")
    verdict = throttle.allow(f"set-password:{user.pk}", limit=LINKS_PER_HOUR, per=HOUR)
    if not verdict.allowed:
        raise Conflict(
            f"{LINKS_PER_HOUR} set-password links were already sent to {user.get_username()} "
            f"this hour; send another in {verdict.minutes} minute(s) if they still need one."
        )
    with transaction.atomic():
        return _user_event(
            actor, Action.USER_PASSWORD_LINK, user, after={"email": user.email}, context=context
        )


def lockout_of(user) -> dict | None:
    """The login lockout in force for `user` (from any address), as the user page shows it:
    failures, addresses and until when; None when they are not locked out."""
    attempts = queries.lockouts([user.get_username()])
    rows = list(attempts.values_list("ip_address", "failures_since_start", "attempt_time"))
    if not rows:
        return None
    return {
        "addresses": sorted({address or "unknown" for address, _, _ in rows}),
        "failures": sum(failures for _, failures, _ in rows),
        "until": max(at for _, _, at in rows) + timedelta(hours=settings.AXES_COOLOFF_TIME),
    }


@retried
def lift_lockout(actor, user, *, context: Context | None = None):
    """An admin lets a locked-out user try again at once: their failed attempts are cleared
    (from every address), and the lifting is recorded with what it cleared."""
    require(actor, permissions.MANAGE_USERS)
    with transaction.atomic():
        lockout = lockout_of(user)
        if lockout is None:
            raise Conflict(f"{user.get_username()} is not locked out.")
        AccessAttempt.objects.filter(username=user.get_username()).delete()
        return _user_event(
            actor,
            Action.USER_UNLOCK,
            user,
            before={"failures": lockout["failures"], "addresses": lockout["addresses"]},
            after={"locked": False},
            context=context,
        )

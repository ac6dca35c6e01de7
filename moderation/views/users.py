"""`/users/`: admins manage dashboard accounts and roles. Accounts are never deleted, only
deactivated, so every audit event keeps its actor."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from moderation import permissions, queries, services
from moderation.audit import Context
from moderation.filters import UserFilter
from moderation.forms import ActiveForm, RolesForm, SetPasswordLinkForm, UserCreateForm
from moderation.models import AuditEvent

User = get_user_model()
USERS_PER_PAGE = 50


def _fail(request, exc):
    messages.error(request, str(exc))


@permissions.require(permissions.MANAGE_USERS)
def user_list(request):
    return _user_list_with(request, UserCreateForm())


def _user_list_with(request, form, status=200):
    users = UserFilter(request.GET, queryset=queries.users_with_activity())
    page = Paginator(users.qs.distinct(), USERS_PER_PAGE).get_page(request.GET.get("page"))
    locked = queries.locked_out([person.get_username() for person in page.object_list])
    for person in page.object_list:
        person.locked_out = person.get_username() in locked
    return render(
        request,
        "moderation/users.html",
        {"filter": users, "page": page, "form": form},
        status=status,
    )


@permissions.require(permissions.MANAGE_USERS)
@require_POST
def user_create(request):
    form = UserCreateForm(request.POST)
    if not form.is_valid():
        return _user_list_with(request, form, status=400)
    try:
        user = services.create_user(
            request.user,
            username=form.cleaned_data["username"],
            email=form.cleaned_data["email"],
            roles=form.cleaned_data["roles"],
            context=Context.from_request(request),
        )
    except services.ModerationError as exc:
        form.add_error(None, str(exc))  # shown with the form, which keeps what was typed
        return _user_list_with(request, form, status=409)
    transaction.on_commit(lambda: SetPasswordLinkForm(user).send(request))
    messages.success(request, f"Created {user.username}; {_link_went_to(user.email)}")
    if not form.cleaned_data["roles"]:
        messages.warning(request, NO_ROLE.format(username=user.username))
    return redirect("moderation:user", pk=user.pk)


@permissions.require(permissions.MANAGE_USERS)
def user_detail(request, pk):
    person = get_object_or_404(queries.users_with_activity(), pk=pk)
    roles = [g.name for g in person.groups.all()]
    recent = AuditEvent.objects.for_list().filter(actor=person)[:20]
    return render(
        request,
        "moderation/user_detail.html",
        {
            "person": person,
            "roles_form": RolesForm(initial={"roles": roles}),
            "active_form": ActiveForm(initial={"active": 0 if person.is_active else 1}),
            "lockout": services.lockout_of(person),
            "recent": recent,
        },
    )


@permissions.require(permissions.MANAGE_USERS)
@require_POST
def user_roles(request, pk):
    person = get_object_or_404(User, pk=pk)
    form = RolesForm(request.POST)
    if form.is_valid():
        try:
            services.set_roles(
                request.user, person, form.cleaned_data["roles"],
                context=Context.from_request(request),
            )  # fmt: skip
            messages.success(request, f"Roles of {person.username} updated.")
            if not form.cleaned_data["roles"]:
                messages.warning(request, NO_ROLE.format(username=person.username))
        except services.ModerationError as exc:
            _fail(request, exc)
    else:
        messages.error(request, "Choose roles from the list.")
    return redirect("moderation:user", pk=pk)


@permissions.require(permissions.MANAGE_USERS)
@require_POST
def user_active(request, pk):
    person = get_object_or_404(User, pk=pk)
    form = ActiveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Tick the confirmation box to change whether the account works.")
        return redirect("moderation:user", pk=pk)
    try:
        services.set_active(
            request.user, person, bool(form.cleaned_data["active"]),
            context=Context.from_request(request),
        )  # fmt: skip
        done = "reactivated" if form.cleaned_data["active"] else "deactivated"
        messages.success(request, f"{person.username} {done}.")
    except services.ModerationError as exc:
        _fail(request, exc)
    return redirect("moderation:user", pk=pk)


@permissions.require(permissions.MANAGE_USERS)
@require_POST
def user_send_link(request, pk):
    person = get_object_or_404(User, pk=pk)
    try:
        services.record_password_link(request.user, person, context=Context.from_request(request))
    except services.ModerationError as exc:
        _fail(request, exc)
    else:
        SetPasswordLinkForm(person).send(request)
        went = _link_went_to(person.email)
        messages.success(request, went[0].upper() + went[1:])
    return redirect("moderation:user", pk=pk)


@permissions.require(permissions.MANAGE_USERS)
@require_POST
def user_unlock(request, pk):
    person = get_object_or_404(User, pk=pk)
    try:
        services.lift_lockout(request.user, person, context=Context.from_request(request))
    except services.ModerationError as exc:
        _fail(request, exc)
    else:
        messages.success(request, f"{person.username} can log in again (lockout lifted).")
    return redirect("moderation:user", pk=pk)


NO_ROLE = (
    "{username} has no role: they can sign in but see nothing of the dashboard until you "
    "give them one (Roles, on their page)."
)


def _link_went_to(email: str) -> str:
    """Where a set-password link went: the mail server, or, with none configured (no
    EMAIL_HOST, as in development), the server's console, which is not the person's inbox."""
    if settings.EMAIL_BACKEND.endswith("console.EmailBackend"):
        return (
            f"no mail server is configured (EMAIL_HOST), so the set-password link for "
            f"{email} was printed to the server's console, not sent: pass it on yourself."
        )
    return f"a set-password link was sent to {email}."

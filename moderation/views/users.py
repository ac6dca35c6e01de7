"""`/users/`: admins manage dashboard accounts and roles. Accounts are never deleted, only
deactivated, so every audit event keeps its actor."""

import django_filters
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.models import Group
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Max, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from moderation import permissions, services
from moderation.audit import Context
from moderation.forms import ROLE_CHOICES, ActiveForm, RolesForm, UserCreateForm
from moderation.models import AuditEvent

User = get_user_model()


class UserFilter(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(
        choices=ROLE_CHOICES, field_name="groups__name", empty_label="Any role", label="Role"
    )
    is_active = django_filters.ChoiceFilter(
        choices=[("yes", "Active"), ("no", "Deactivated")],
        method="filter_active",
        empty_label="Any",
        label="Status",
    )
    q = django_filters.CharFilter(method="search", label="Name or email")

    class Meta:
        model = User
        fields = []

    def filter_active(self, queryset, name, value):
        return queryset.filter(is_active=value == "yes")

    def search(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(username__icontains=value) | Q(email__icontains=value))


def users_with_activity():
    """Users with their roles and how much they did (two queries for any number of users)."""
    events = AuditEvent.objects.filter(actor=OuterRef("pk")).order_by().values("actor")
    return (
        User.objects.annotate(
            actions=Coalesce(Subquery(events.annotate(n=Count("pk")).values("n")), 0),
            last_action=Subquery(events.annotate(t=Max("created_at")).values("t")),
        )
        .prefetch_related(
            Prefetch("groups", queryset=Group.objects.filter(name__in=services.ROLES))
        )
        .order_by("username")
    )


class SetPasswordLinkForm(PasswordResetForm):
    """Django's password-reset email, for one chosen user, who may have no password yet."""

    def __init__(self, user):
        super().__init__({"email": user.email})
        self.user = user
        self.is_valid()

    def get_users(self, email):
        return [self.user] if self.user.is_active else []


def send_set_password_link(request, user):
    SetPasswordLinkForm(user).save(
        request=request,
        use_https=request.is_secure(),
        subject_template_name="registration/set_password_subject.txt",
        email_template_name="registration/set_password_email.txt",
    )


def _fail(request, exc):
    messages.error(request, str(exc))


@permissions.require(permissions.MANAGE_USERS)
def user_list(request):
    return _user_list_with(request, UserCreateForm())


def _user_list_with(request, form, status=200):
    users = UserFilter(request.GET, queryset=users_with_activity())
    page = Paginator(users.qs.distinct(), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "moderation/users.html",
        {"filter": users, "page": page, "query": query.urlencode(), "form": form},
        status=status,
    )


@require_POST
@permissions.require(permissions.MANAGE_USERS)
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
    transaction.on_commit(lambda: send_set_password_link(request, user))
    messages.success(
        request, f"Created {user.username}; a set-password link was sent to {user.email}."
    )
    return redirect("moderation:user", pk=user.pk)


@permissions.require(permissions.MANAGE_USERS)
def user_detail(request, pk):
    person = get_object_or_404(users_with_activity(), pk=pk)
    roles = [g.name for g in person.groups.all()]
    recent = AuditEvent.objects.for_list().filter(actor=person)[:20]
    return render(
        request,
        "moderation/user_detail.html",
        {
            "person": person,
            "roles_form": RolesForm(initial={"roles": roles}),
            "active_form": ActiveForm(initial={"active": 0 if person.is_active else 1}),
            "recent": recent,
        },
    )


@require_POST
@permissions.require(permissions.MANAGE_USERS)
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
        except services.ModerationError as exc:
            _fail(request, exc)
    else:
        messages.error(request, "Choose roles from the list.")
    return redirect("moderation:user", pk=pk)


@require_POST
@permissions.require(permissions.MANAGE_USERS)
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


@require_POST
@permissions.require(permissions.MANAGE_USERS)
def user_send_link(request, pk):
    person = get_object_or_404(User, pk=pk)
    try:
        services.record_password_link(request.user, person, context=Context.from_request(request))
    except services.ModerationError as exc:
        _fail(request, exc)
    else:
        send_set_password_link(request, person)
        messages.success(request, f"A set-password link was sent to {person.email}.")
    return redirect("moderation:user", pk=pk)

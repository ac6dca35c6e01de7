"""`/accounts/…` beyond Django's own views: the page a locked-out login gets (django-axes
calls `locked_out`), and a password-reset request that is rate-limited (each sends e-mail)."""

from datetime import timedelta

from axes.helpers import get_client_username
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render

from moderation import throttle
from moderation.clients import client_address

# Password-reset requests: per client address, and per e-mail address asked for.
RESETS_PER_ADDRESS = 5
RESETS_PER_EMAIL = 3
HOUR = timedelta(hours=1)


def duration_words(minutes: int) -> str:
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def locked_out(request, original_response=None, credentials=None):
    """django-axes' lockout, as a page that says for how long and what to do (429)."""
    minutes = round(settings.AXES_COOLOFF_TIME * 60)
    return render(
        request,
        "registration/locked_out.html",
        {
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "username": get_client_username(request, credentials) or "",
            "duration": duration_words(minutes),
        },
        status=429,
    )


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, rate-limited: a client address that asks too often is told
    to wait; an e-mail address asked for too often gets no more mail this hour, and the
    page says what it always says (it never tells whether an address has an account)."""

    def form_valid(self, form):
        address = client_address(self.request) or "unknown"
        verdict = throttle.allow(f"reset-ip:{address}", limit=RESETS_PER_ADDRESS, per=HOUR)
        if not verdict.allowed:
            form.add_error(
                None,
                f"Too many reset requests from your address: try again in {verdict.minutes} "
                "minute(s), or ask an admin to send you a set-password link.",
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        email = throttle.hashed(form.cleaned_data["email"])
        if not throttle.allow(f"reset-email:{email}", limit=RESETS_PER_EMAIL, per=HOUR).allowed:
            return redirect(self.get_success_url())  # as if sent: nothing more to that inbox
        return super().form_valid(form)

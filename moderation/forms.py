"""Forms that clean what moderators and admins post before a service sees it."""

from django import forms
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils import timezone

from moderation import permissions
from moderation.models import NOTE_MAX_LENGTH, Category, Status

ACTIONS = {
    "approve": Status.APPROVED,
    "remove": Status.REMOVED,
    "escalate": Status.ESCALATED,
    "pending": Status.PENDING,
}


class DecisionForm(forms.Form):
    """approve / remove / escalate / back to pending, at the version the moderator saw."""

    action = forms.ChoiceField(choices=[(a, a) for a in ACTIONS])
    version = forms.IntegerField(min_value=0)
    reasons = forms.ModelMultipleChoiceField(queryset=Category.objects.active(), required=False)
    note = forms.CharField(
        required=False, max_length=NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )
    # An escalation's optional assignee: someone who moderates now (the service checks again).
    assignee = forms.ModelChoiceField(
        queryset=permissions.holders(permissions.MODERATE), required=False
    )

    def __init__(self, *args, site=None, **kwargs):
        super().__init__(*args, **kwargs)
        if site is not None:
            self.fields["reasons"].queryset = Category.objects.active().filter(site=site)

    def clean(self):
        data = super().clean()
        if data.get("assignee") and data.get("action") != "escalate":
            self.add_error("assignee", "Only an escalation is assigned to someone.")
        return data

    @property
    def status(self):
        return ACTIONS[self.cleaned_data["action"]]


class TagForm(forms.Form):
    category = forms.ModelChoiceField(queryset=Category.objects.active())
    note = forms.CharField(required=False, max_length=NOTE_MAX_LENGTH)
    span_start = forms.IntegerField(required=False, min_value=0)
    span_end = forms.IntegerField(required=False, min_value=1)
    quoted_text = forms.CharField(required=False, strip=False)

    def __init__(self, *args, site=None, **kwargs):
        super().__init__(*args, **kwargs)
        if site is not None:
            self.fields["category"].queryset = Category.objects.active().filter(site=site)

    def clean(self):
        data = super().clean()
        start, end = data.get("span_start"), data.get("span_end")
        if (start is None) != (end is None):
            raise forms.ValidationError("A passage needs both its start and its end.")
        if start is not None and start >= end:
            raise forms.ValidationError("A passage must end after it starts.")
        data["span"] = (start, end) if start is not None else None
        return data


class BulkForm(forms.Form):
    """The same decision for several queue rows, each at the version its row showed."""

    action = forms.ChoiceField(choices=[(a, a) for a in ACTIONS])
    comments = forms.CharField(help_text="comma-separated id:version pairs")
    reasons = forms.ModelMultipleChoiceField(queryset=Category.objects.active(), required=False)
    note = forms.CharField(required=False, max_length=NOTE_MAX_LENGTH)

    def clean_comments(self):
        pairs = []
        for item in self.cleaned_data["comments"].split(","):
            try:
                comment_id, version = (int(part) for part in item.split(":"))
            except ValueError:
                raise forms.ValidationError(f"{item!r} is not an id:version pair.") from None
            pairs.append((comment_id, version))
        if not pairs:
            raise forms.ValidationError("Select at least one comment.")
        if len(pairs) > 200:
            raise forms.ValidationError("At most 200 comments at a time.")
        return pairs


class UndoForm(forms.Form):
    """The audit event(s) of the action to reverse: one id, or a bulk action's ids."""

    event = forms.CharField(max_length=2000)

    def clean_event(self):
        try:
            ids = [int(part) for part in self.cleaned_data["event"].split(",") if part.strip()]
        except ValueError:
            raise forms.ValidationError("Give the audit event id(s) to undo.") from None
        if not ids or len(ids) > 200:
            raise forms.ValidationError("Give between 1 and 200 audit event ids.")
        return ids


class RetractForm(forms.Form):
    note = forms.CharField(required=False, max_length=NOTE_MAX_LENGTH)


class BlockForm(forms.Form):
    reason = forms.CharField(max_length=NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2}))
    expires_at = forms.DateTimeField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Leave empty for a block with no end.",
    )

    def clean_expires_at(self):
        value = self.cleaned_data["expires_at"]
        if value is not None and value <= timezone.now():
            raise forms.ValidationError("The expiry must be in the future.")
        return value


class UnblockForm(forms.Form):
    """Lifting a block is confirmed by ticking a box: it works without JS, and the server
    checks it too."""

    note = forms.CharField(
        required=False,
        max_length=NOTE_MAX_LENGTH,
        label="Why lift it (optional)",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    confirm = forms.BooleanField(
        label="Yes, lift this block now",
        error_messages={"required": "Tick the box to confirm that the block should be lifted."},
    )


class NoteForm(forms.Form):
    text = forms.CharField(max_length=NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3}))


class PolicyForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}))
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    note = forms.CharField(required=False, max_length=500, label="What changed and why")


class CategoryForm(forms.Form):
    name = forms.CharField(max_length=100)
    definition = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    active = forms.BooleanField(required=False, initial=True)


ROLE_CHOICES = [(role, role) for role in permissions.ROLES]


class UserCreateForm(forms.Form):
    username = forms.CharField(max_length=150)
    email = forms.EmailField(help_text="The set-password link is sent here.")
    roles = forms.MultipleChoiceField(
        choices=ROLE_CHOICES, widget=forms.CheckboxSelectMultiple, required=False
    )

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        UnicodeUsernameValidator()(username)
        return username


class RolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        choices=ROLE_CHOICES, widget=forms.CheckboxSelectMultiple, required=False
    )


class ActiveForm(forms.Form):
    active = forms.TypedChoiceField(choices=[("1", "active"), ("0", "inactive")], coerce=int)
    confirm = forms.BooleanField(
        required=True, label="Yes, I mean it", error_messages={"required": "Tick to confirm."}
    )


class SetPasswordLinkForm(PasswordResetForm):
    """Django's password-reset email, for one chosen user, who may have no password yet."""

    def __init__(self, user):
        super().__init__({"email": user.email})
        self.user = user
        self.is_valid()

    def get_users(self, email):
        return [self.user] if self.user.is_active else []

    def send(self, request):
        self.save(
            request=request,
            use_https=request.is_secure(),
            subject_template_name="registration/set_password_subject.txt",
            email_template_name="registration/set_password_email.txt",
        )


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        help_text="A WordPress export (Tools > Export), a Disqus export, or a page capture (.txt)."
    )
    kind = forms.ChoiceField(
        label="Format",
        required=False,
        choices=[],  # set from the formats the archive knows
        help_text="Left on “Tell from the file”, the file's first element decides.",
    )
    site_name = forms.CharField(
        label="Site",
        required=False,
        max_length=200,
        help_text="Needed when the file does not name its site (most page captures do).",
    )
    domain = forms.CharField(required=False, max_length=253, help_text="e.g. asbarez.com")
    dry_run = forms.BooleanField(
        label="Check only: report what would change, write nothing", required=False
    )

    def __init__(self, *args, **kwargs):
        from archive.importing.formats import FORMATS

        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", "Tell from the file")] + [
            (key, fmt.label) for key, fmt in sorted(FORMATS.items(), key=lambda kv: kv[1].label)
        ]
        accept = sorted({suffix for fmt in FORMATS.values() for suffix in fmt.suffixes})
        self.fields["file"].widget.attrs["accept"] = ",".join(accept)
        self.fields["site_name"].widget.attrs["list"] = "known-sites"


class ApprovePendingForm(forms.Form):
    """Approve a commenter's pending comments, up to the newest one the moderator was shown
    (`through`: a comment posted after the confirmation is not approved unseen)."""

    through = forms.IntegerField(min_value=1)
    expected = forms.IntegerField(min_value=1, help_text="how many the confirmation showed")


class ReviewForm(forms.Form):
    """A review: the categories the comment breaks, or "no violation" (none ticked)."""

    verdict = forms.ChoiceField(choices=[("breaks", "breaks"), ("none", "no violation")])
    categories = forms.ModelMultipleChoiceField(
        queryset=Category.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(
        required=False, max_length=NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, categories, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["categories"].queryset = categories
        self.fields["categories"].label_from_instance = lambda c: f"{c.order} · {c.name}"

    def clean(self):
        data = super().clean()
        ticked = data.get("categories")
        if data.get("verdict") == "breaks" and not ticked:
            raise forms.ValidationError("Tick the categories it breaks, or choose No violation.")
        if data.get("verdict") == "none" and ticked:
            raise forms.ValidationError(
                "You ticked categories but chose No violation: untick them, or save the "
                "categories it breaks."
            )
        return data


class PlanForm(forms.Form):
    share = forms.IntegerField(
        min_value=0, max_value=100, label="Share for second review (percent)"
    )
    seed = forms.CharField(required=False, max_length=64, label="Seed")


class GoldForm(forms.Form):
    """A gold item's reference labels: ticked categories are 1, the others 0."""

    categories = forms.ModelMultipleChoiceField(
        queryset=Category.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="It breaks",
    )
    note = forms.CharField(max_length=NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, categories, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["categories"].queryset = categories
        self.fields["categories"].label_from_instance = lambda c: f"{c.order} · {c.name}"


class AdjudicationForm(GoldForm):
    note = forms.CharField(
        required=False, max_length=NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )

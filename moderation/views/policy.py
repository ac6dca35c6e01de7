"""`/policy/…`: each site's discussion policy and its categories: read by every role that
applies, edits or exports them (`/policy/`), changed by admins.

Every change goes through a service and makes a new policy version; old versions stay
readable on the edit page. A failed form or a refused change shows the page again with what
the admin typed, so a long text is never lost.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from archive.models import Site
from moderation import audit, permissions, queries, services
from moderation.forms import CategoryForm, PolicyForm
from moderation.models import FLAG_THRESHOLD, Category, WordList
from moderation.screening import scoring, training
from moderation.screening.words import KINDS
from moderation.tasks import retrain_site


@permissions.require_any(*permissions.READ_POLICY)
def policy_list(request):
    sites = queries.sites_with_policy()
    editable = permissions.can(request.user, permissions.EDIT_POLICY)
    return render(request, "moderation/policy_list.html", {"sites": sites, "editable": editable})


@permissions.require(permissions.EDIT_POLICY)
@require_http_methods(["GET", "POST"])
def policy_edit(request, site_id):
    site = get_object_or_404(Site, pk=site_id)
    if request.method == "GET":
        return _edit_page(request, site)
    form = PolicyForm(request.POST)
    if not form.is_valid():
        return _edit_page(request, site, policy_form=form, status=400)
    try:
        policy = services.edit_policy(
            request.user,
            site,
            text=form.cleaned_data["text"],
            expected_version=form.cleaned_data["version"],
            note=form.cleaned_data["note"],
            context=audit.Context.from_request(request),
        )
    except services.Conflict as exc:
        # Keep the admin's text, now based on the version that beat it: saving again is a
        # deliberate choice made with that version in view (it is at the top of the history).
        messages.error(request, str(exc))
        current = services.current_policy(site)
        messages.info(
            request,
            f"Your text is kept in the form: compare it with version {current.version} "
            "below, then save again to replace that version.",
        )
        kept = PolicyForm(initial={**form.cleaned_data, "version": current.version})
        return _edit_page(request, site, policy_form=kept, status=409)
    except services.ModerationError as exc:
        messages.error(request, str(exc))
        return _edit_page(request, site, policy_form=form, status=400)
    messages.success(request, f"The policy of {site} is now version {policy.version}.")
    return redirect("moderation:policy_edit", site_id=site.pk)


@permissions.require(permissions.EDIT_POLICY)
@require_POST
def category_add(request, site_id):
    site = get_object_or_404(Site, pk=site_id)
    form = CategoryForm(request.POST)
    if not form.is_valid():
        return _edit_page(request, site, category_form=form, status=400)
    try:
        category = services.add_category(
            request.user,
            site,
            name=form.cleaned_data["name"],
            definition=form.cleaned_data["definition"],
            context=audit.Context.from_request(request),
        )
    except services.ModerationError as exc:
        messages.error(request, str(exc))
        return _edit_page(request, site, category_form=form, status=400)
    messages.success(
        request,
        f"Added {category.name} (key {category.order}); the policy of {site} is now version "
        f"{services.current_policy(site).version}.",
    )
    return redirect("moderation:policy_edit", site_id=site.pk)


@permissions.require(permissions.EDIT_POLICY)
@require_http_methods(["GET", "POST"])
def category_edit(request, pk):
    category = get_object_or_404(Category.objects.select_related("site"), pk=pk)
    if request.method == "GET":
        form = CategoryForm(
            initial={
                "name": category.name,
                "definition": category.definition,
                "active": category.active,
            }
        )
        return _category_page(request, category, form)
    form = CategoryForm(request.POST)
    if not form.is_valid():
        return _category_page(request, category, form, status=400)
    try:
        category = services.edit_category(
            request.user,
            category,
            name=form.cleaned_data["name"],
            definition=form.cleaned_data["definition"],
            active=form.cleaned_data["active"],
            context=audit.Context.from_request(request),
        )
    except services.ModerationError as exc:
        messages.error(request, str(exc))
        return _category_page(request, category, form, status=400)
    site = category.site
    messages.success(
        request,
        f"Saved {category.name}{'' if category.active else ' (retired)'}; the policy of "
        f"{site} is now version {services.current_policy(site).version}.",
    )
    return redirect("moderation:policy_edit", site_id=site.pk)


def _edit_page(request, site, *, policy_form=None, category_form=None, status=200):
    versions = list(site.policies.select_related("created_by").order_by("-version"))
    current = versions[0] if versions else None
    if policy_form is None:
        policy_form = PolicyForm(
            initial={"text": current.text, "version": current.version}
            if current
            else {"text": site.policy_text, "version": 0}
        )
    return render(
        request,
        "moderation/policy_edit.html",
        {
            "site": site,
            "current": current,
            "versions": versions,
            "categories": Category.objects.filter(site=site),
            "policy_form": policy_form,
            "category_form": category_form or CategoryForm(),
        },
        status=status,
    )


def _category_page(request, category, form, status=200):
    return render(
        request,
        "moderation/category_edit.html",
        {"category": category, "site": category.site, "form": form},
        status=status,
    )


# Screening word lists

PAGE_LABELS = 5_000  # labels a category's figures on the quality page rest on, at most


@permissions.require(permissions.EDIT_POLICY)
@require_http_methods(["GET", "POST"])
def word_lists(request, site_id):
    """A site's word lists: for each category, banned terms (flag) and suspect terms
    (highlight), one a line. Saving makes a new version and screens the site again."""
    site = get_object_or_404(Site, pk=site_id)
    categories = list(Category.objects.filter(site=site).order_by("order", "pk"))
    version, terms = scoring.current_list(site.pk)
    fields = {
        f"{category.slug}__{kind}": "\n".join(
            term for slug, k, term in terms if slug == category.slug and k == kind
        )
        for category in categories
        for kind in KINDS
    }
    status = 200
    if request.method == "POST":
        fields = {name: request.POST.get(name, "") for name in fields}
        typed = [
            (slug, kind, line)
            for name, text in fields.items()
            for slug, kind in [name.split("__")]
            for line in text.splitlines()
            if line.strip()
        ]
        try:
            new = services.edit_word_lists(
                request.user,
                site,
                terms=typed,
                note=request.POST.get("note", ""),
                context=audit.Context.from_request(request),
            )
        except services.ModerationError as exc:
            messages.error(request, str(exc))
            status = 400
        else:
            messages.success(
                request,
                f"The word lists of {site} are now version {new.version}; its comments are "
                "being screened again in the background.",
            )
            return redirect("moderation:words", site_id=site.pk)
    sample = request.GET.get("try", "")
    return render(
        request,
        "moderation/word_lists.html",
        {
            "site": site,
            "version": version,
            "newest": WordList.objects.filter(site=site).select_related("created_by").first(),
            "sections": [
                {
                    "category": category,
                    "lists": [
                        (kind, f"{category.slug}__{kind}", fields[f"{category.slug}__{kind}"])
                        for kind in KINDS
                    ],
                }
                for category in categories
            ],
            "sample": sample,
            "sample_matches": scoring.matcher_for(site.pk)[1].find(sample) if sample else [],
        },
        status=status,
    )


@permissions.require(permissions.EDIT_POLICY)
@require_http_methods(["GET", "POST"])
def screening_quality(request, site_id):
    """How good each screening source is for each of a site's categories, against its
    moderators' labels (moderation.screening.training), and a button to retrain the learned
    models (a background task) once there are enough labels."""
    site = get_object_or_404(Site, pk=site_id)
    if request.method == "POST":
        retrain_site.enqueue(site.pk)
        messages.success(
            request,
            f"Retraining {site}'s models in the background; its comments are screened again "
            "when it is done. This page shows the new figures then.",
        )
        return redirect("moderation:screening", site_id=site.pk)
    categories = Category.objects.filter(site=site, active=True).order_by("order")
    return render(
        request,
        "moderation/screening_quality.html",
        {
            "site": site,
            # A page reads the latest labels only: the command reads them all.
            "results": [
                (c, training.evaluate(c, cross_validate=False, latest=PAGE_LABELS))
                for c in categories
            ],
            "threshold": FLAG_THRESHOLD,
            "min_labels": training.MIN_LABELS,
            "folds": training.FOLDS,
        },
    )

"""`/review/…`: the designed overlap. Moderators work their Second review stream and review
any comment blind (`/review/comments/<id>/` shows the comment and its parent, never a tag,
status, decision or name of anyone's judgement of it); Admins set each site's share, mark
gold items, adjudicate disagreements and read each moderator's quality.

Work lists (the stream, adjudications) show their oldest rows: an item leaves the list when
it is done, so the next ones come up; there is no paging through them.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from archive.models import Comment, Site
from moderation import audit, pagination, permissions, quality, services
from moderation.forms import AdjudicationForm, GoldForm, PlanForm, ReviewForm
from moderation.models import Category, GoldItem, Sample, SecondReviewPlan
from moderation.services import reviews

WORK_LIST = 50  # rows of the adjudication list


def _site(request, value=None):
    """The site chosen with ?site= (or named by `value`), or None for every site (or none
    that exists)."""
    value = request.GET.get("site", "") if value is None else value
    return Site.objects.filter(pk=value).first() if value.isascii() and value.isdigit() else None


# Moderators


@permissions.require(permissions.MODERATE)
def second_review(request):
    """The Second review stream: comments to review blind, oldest first."""
    site = _site(request)
    rows = reviews.stream(request.user, site=site)
    found = Comment.objects.select_related("article__site").in_bulk([pk for pk, _ in rows])
    comments = [found[pk] for pk, _ in rows if pk in found]
    for comment in comments:
        comment.token = reviews.stream_token(request.user, comment.pk)
    admin = permissions.can(request.user, permissions.EDIT_POLICY)
    return render(
        request,
        "moderation/second_review.html",
        {
            "comments": comments,
            "sites": Site.objects.order_by("name"),
            "site": site,
            "waiting": pagination.capped_count(
                Sample.objects.filter(state=Sample.State.DISAGREED, **_on(site))
            )
            if admin
            else None,
            "admin": admin,
        },
    )


def _submitted(request, form, act, done: str, to: str):
    """A review page's form, on a POST, handed to its service: (a redirect to `to`, 302)
    when the service did it, saying `done`; (None, 400) when the form or the service
    refused (the page shows why again, with what was typed); (None, 200) on a GET."""
    if request.method != "POST":
        return None, 200
    if not form.is_valid():
        return None, 400
    try:
        act(form.cleaned_data)
    except services.ModerationError as exc:
        messages.error(request, str(exc))
        return None, 400
    messages.success(request, done)
    return redirect(to), 302


def _on(site):
    return {"site": site} if site is not None else {}


@permissions.require(permissions.MODERATE)
@require_http_methods(["GET", "POST"])
def review_comment(request, pk):
    """One comment to review, blind: its text, its parent's, and the site's categories."""
    comment = get_object_or_404(
        Comment.objects.select_related("article__site", "parent", "commenter"), pk=pk
    )
    categories = reviews.active_categories(comment.article.site_id)
    form = ReviewForm(request.POST or None, categories=categories)
    token = request.POST.get("token") or request.GET.get("token") or ""
    done, status = _submitted(
        request,
        form,
        lambda data: services.review(
            request.user,
            comment,
            positives=data["categories"],
            note=data["note"],
            blind=reviews.from_stream(request.user, comment.pk, token),
            context=audit.Context.from_request(request),
        ),
        f"Your review of comment #{comment.pk} is recorded.",
        _back(request),
    )
    if done:
        return done
    own = comment.reviews.filter(moderator=request.user).order_by("-created_at").first()
    return render(
        request,
        "moderation/review_comment.html",
        {
            "comment": comment,
            "form": form,
            "categories": categories,
            "own": own,
            "ticked": set(request.POST.getlist("categories")),
            "token": token,
            "next": _back(request),
        },
        status=status,
    )


def _back(request) -> str:
    from moderation import protocol

    default = reverse("moderation:second_review")
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    return protocol.safe_next(request, wanted, default)


# Admins


@permissions.require(permissions.EDIT_POLICY)
@require_http_methods(["GET", "POST"])
def plans(request):
    """Each site's share of comments drawn for a blind second review, and its seed."""
    sites = list(Site.objects.order_by("name"))
    by_site = {p.site_id: p for p in SecondReviewPlan.objects.select_related("updated_by")}
    status = 200
    failed = None
    if request.method == "POST":
        site = _site(request, request.POST.get("site", ""))
        if site is None:
            messages.error(request, "Choose a site: the form named none that exists.")
            return redirect("moderation:review_plans")
        form = PlanForm(request.POST)
        if form.is_valid():
            try:
                services.set_review_plan(
                    request.user,
                    site,
                    share=form.cleaned_data["share"],
                    seed=form.cleaned_data["seed"],
                    context=audit.Context.from_request(request),
                )
            except services.ModerationError as exc:
                messages.error(request, f"{site}: {exc}")
                status = 400
            else:
                messages.success(
                    request,
                    f"{site}: {form.cleaned_data['share']}% of comments are now drawn "
                    "for a blind second review when first judged.",
                )
                return redirect("moderation:review_plans")
        else:
            failed, status = (site.pk, form), 400
    rows = []
    for site in sites:
        plan = by_site.get(site.pk)
        form = (
            failed[1]
            if failed and failed[0] == site.pk
            else PlanForm(
                initial={"share": plan.share if plan else 0, "seed": plan.seed if plan else ""}
            )
        )
        rows.append({"site": site, "plan": plan, "form": form})
    return render(request, "moderation/review_plans.html", {"rows": rows}, status=status)


@permissions.require(permissions.EDIT_POLICY)
def gold_list(request):
    wanted = request.GET.get("comment", "")
    if wanted.isdigit():
        if Comment.objects.filter(pk=wanted).exists():
            return redirect("moderation:gold_edit", comment_pk=int(wanted))
        messages.error(request, f"There is no comment #{wanted}.")
    items = list(
        GoldItem.objects.select_related("comment__article__site", "created_by").order_by(
            "retired_at", "-created_at"
        )[:200]
    )
    wanted = {int(c) for item in items for c in item.labels}
    categories = dict(Category.objects.filter(pk__in=wanted).values_list("pk", "name"))
    rows = [
        {
            "item": item,
            "positive": [categories.get(int(c), c) for c, v in item.labels.items() if v],
        }
        for item in items
    ]
    return render(request, "moderation/gold_list.html", {"rows": rows})


@permissions.require(permissions.EDIT_POLICY)
@require_http_methods(["GET", "POST"])
def gold_edit(request, comment_pk):
    """Make a comment a gold item, or change its reference labels."""
    comment = get_object_or_404(Comment.objects.select_related("article__site"), pk=comment_pk)
    categories = reviews.active_categories(comment.article.site_id)
    gold = GoldItem.objects.filter(comment=comment).first()
    initial = {}
    if gold:
        initial = {
            "categories": [int(c) for c, v in gold.labels.items() if v],
            "note": gold.note,
        }
    form = GoldForm(request.POST or None, categories=categories, initial=initial)
    done, status = _submitted(
        request,
        form,
        lambda data: services.set_gold(
            request.user,
            comment,
            labels={c: int(c in set(data["categories"])) for c in categories},
            note=data["note"],
            context=audit.Context.from_request(request),
        ),
        f"Comment #{comment.pk} is a gold item.",
        reverse("moderation:gold_list"),
    )
    if done:
        return done
    return render(
        request,
        "moderation/gold_edit.html",
        {"comment": comment, "form": form, "gold": gold},
        status=status,
    )


@permissions.require(permissions.EDIT_POLICY)
@require_POST
def gold_retire(request, pk):
    gold = get_object_or_404(GoldItem, pk=pk)
    try:
        services.retire_gold(request.user, gold, context=audit.Context.from_request(request))
    except services.ModerationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Comment #{gold.comment_id} is no longer a gold item.")
    return redirect("moderation:gold_list")


@permissions.require(permissions.EDIT_POLICY)
def adjudication_list(request):
    """Samples whose two reviews disagreed, oldest first."""
    site = _site(request)
    waiting = Sample.objects.filter(state=Sample.State.DISAGREED, **_on(site))
    samples = list(
        waiting.select_related("comment__article__site").order_by("drawn_at", "id")[:WORK_LIST]
    )
    return render(
        request,
        "moderation/adjudication_list.html",
        {
            "samples": samples,
            "count": pagination.capped_count(waiting),
            "sites": Site.objects.order_by("name"),
            "site": site,
            "shown": WORK_LIST,
        },
    )


@permissions.require(permissions.EDIT_POLICY)
@require_http_methods(["GET", "POST"])
def adjudicate(request, pk):
    """Both reviews of a sample side by side, and the adjudicator's final labels."""
    sample = get_object_or_404(
        Sample.objects.select_related(
            "comment__article__site", "comment__parent", "first_reviewer", "second_reviewer"
        ),
        pk=pk,
    )
    if sample.state == Sample.State.OPEN:
        # Waiting for its second review: its first reviewer's name and labels are not shown
        # to anyone who might still get it blind.
        raise Http404("This comment is waiting for its second review.")
    compared = [int(c) for c in sample.first_labels or {}]
    categories = Category.objects.filter(pk__in=compared).order_by("order", "pk")
    form = AdjudicationForm(request.POST or None, categories=categories)
    done, status = _submitted(
        request,
        form,
        lambda data: services.adjudicate(
            request.user,
            sample,
            positives=data["categories"],
            note=data["note"],
            context=audit.Context.from_request(request),
        ),
        f"Comment #{sample.comment_id} is adjudicated.",
        reverse("moderation:adjudication_list"),
    )
    if done:
        return done
    rows = [
        {
            "category": c,
            "first": (sample.first_labels or {}).get(str(c.pk)),
            "second": (sample.second_labels or {}).get(str(c.pk)),
        }
        for c in categories
    ]
    adjudication = getattr(sample, "adjudication", None) if sample.state == "adjudicated" else None
    return render(
        request,
        "moderation/adjudicate.html",
        {"sample": sample, "rows": rows, "form": form, "adjudication": adjudication},
        status=status,
    )


@permissions.require(permissions.EDIT_POLICY)
def review_quality(request):
    site = _site(request)
    rows, categories, read = quality.moderator_quality(site)
    return render(
        request,
        "moderation/review_quality.html",
        {
            "rows": rows,
            "categories": categories,
            "read": read,
            "min_items": quality.MIN_ITEMS,
            "latest": quality.LATEST,
            "sites": Site.objects.order_by("name"),
            "site": site,
        },
    )

"""`/commenters/<id>/`: a commenter's record at a glance, so a repeat offender is seen as one
(counts, comments with their status and tags, blocks, moderators' notes, audit events), and
the forms that block, unblock and annotate them.

A failed form shows the page again with its errors; a refused action (already blocked, block
no longer in force…) comes back as a message on the page, after a redirect.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from archive.models import Commenter
from moderation import audit, permissions, protocol, queries, services
from moderation.forms import ApprovePendingForm, BlockForm, NoteForm, UnblockForm
from moderation.history import ADMIN_ONLY, comment_url, describe
from moderation.models import AuditEvent, CommenterBlock, ModerationState, Status, Tag
from moderation.services import judgements

COMMENTS_PER_PAGE = 25
EVENTS_SHOWN = 50


@permissions.require(permissions.MODERATE)
def commenter(request, pk):
    commenter = get_object_or_404(Commenter.objects.select_related("site"), pk=pk)
    return _page(request, commenter)


@permissions.require(permissions.MODERATE)
@require_POST
def block(request, pk):
    commenter = get_object_or_404(Commenter.objects.select_related("site"), pk=pk)
    form = BlockForm(request.POST)
    if not form.is_valid():
        return _page(request, commenter, block_form=form, status=400)
    try:
        new = services.block(
            request.user,
            commenter,
            reason=form.cleaned_data["reason"],
            expires_at=form.cleaned_data["expires_at"],
            context=audit.Context.from_request(request),
        )
    except services.ModerationError as exc:
        messages.error(request, str(exc))
    else:
        until = f"until {_when(new.expires_at)}" if new.expires_at else "with no expiry"
        messages.success(request, f"{commenter} is blocked {until}.")
    return _back(request, commenter.pk)


@permissions.require(permissions.MODERATE)
@require_POST
def unblock(request, pk):
    block_ = get_object_or_404(CommenterBlock.objects.select_related("commenter__site"), pk=pk)
    form = UnblockForm(request.POST)
    if not form.is_valid():
        return _page(request, block_.commenter, unblock_form=form, status=400)
    try:
        services.unblock(
            request.user,
            block_,
            note=form.cleaned_data["note"],
            context=audit.Context.from_request(request),
        )
    except services.ModerationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"The block on {block_.commenter} is lifted.")
    return _back(request, block_.commenter_id)


@permissions.require(permissions.MODERATE)
@require_POST
def add_note(request, pk):
    commenter = get_object_or_404(Commenter.objects.select_related("site"), pk=pk)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _page(request, commenter, note_form=form, status=400)
    try:
        services.add_commenter_note(
            request.user,
            commenter,
            text=form.cleaned_data["text"],
            context=audit.Context.from_request(request),
        )
    except services.ModerationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Note on {commenter} added.")
    return _back(request, commenter.pk)


@permissions.require(permissions.MODERATE)
def approve_pending(request, pk):
    """Approve every pending comment of a commenter, after a confirmation that says how many
    and shows the first of them. Comments carrying tags are left pending: approving one
    needs a note saying why it stays, which only its own row asks for."""
    commenter = get_object_or_404(Commenter.objects.select_related("site"), pk=pk)
    pending = queries.pending_of(commenter)
    if request.method != "POST":
        return render(
            request,
            "moderation/approve_pending.html",
            {
                "commenter": commenter,
                "next": _next_of(request, commenter),
                # At most APPROVE_AT_ONCE a request; a longer backlog takes another confirmation.
                "at_once": min(pending["approvable"], judgements.APPROVE_AT_ONCE),
                **pending,
            },
        )
    form = ApprovePendingForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That confirmation is incomplete: open it again.")
        return redirect(_again(commenter, request.POST.get("next", "")))
    try:
        done = services.approve_pending(
            request.user,
            commenter,
            through=form.cleaned_data["through"],
            expected=form.cleaned_data["expected"],
            context=audit.Context.from_request(request),
        )
    except services.ModerationError as error:
        messages.error(request, str(error))
        return redirect(_again(commenter, request.POST.get("next", "")))
    summary = _approved_summary(commenter, done)
    if done.comments:
        protocol.offer_undo(
            request,
            [done.events[c.pk] for c in done.comments],
            summary,
            [c.pk for c in done.comments],
        )
        messages.success(request, summary)
    else:
        messages.error(request, summary)
    return redirect(protocol.next_url(request))


def _again(commenter, back: str) -> str:
    """The confirmation again, keeping where it came from."""
    url = reverse("moderation:approve_pending", args=[commenter.pk])
    return f"{url}?{urlencode({'next': back})}" if back else url


def _approved_summary(commenter, done) -> str:
    def n(count, one, many):
        return f"{count} {one if count == 1 else many}"

    if done.comments:
        approved = n(len(done.comments), "pending comment", "pending comments")
        text = f"{approved} by {commenter} approved."
    else:
        text = f"No comment by {commenter} was approved."
    if done.refused:
        changed = n(done.refused, "was", "were")
        text += f" {changed} changed by another moderator meanwhile and kept their decision."
    if done.tagged:
        stays = n(done.tagged, "carries tags and stays", "carry tags and stay")
        text += f" {stays} pending: each needs a note on its row."
    more = done.pending - done.tagged
    if more:
        text += f" {n(more, 'more is', 'more are')} pending: open the confirmation again."
    return text


def _next_of(request, commenter) -> str:
    default = reverse("moderation:commenter", args=[commenter.pk])
    return protocol.safe_next(request, request.GET.get("next", ""), default)


def _page(request, commenter, *, block_form=None, unblock_form=None, note_form=None, status=200):
    """The commenter page, in a fixed number of queries whatever the number of comments."""
    # The page's ids first, sorted on the comment table alone, then their rows by id: sorting
    # the rows with all they join took 36 ms for a commenter of 6,663 comments at a million
    # on PostgreSQL, the ids 5 ms.
    comments = Paginator(queries.commenter_comment_ids(commenter), COMMENTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    found = queries.commenter_comments(commenter).in_bulk(list(comments.object_list))
    comments.object_list = [found[pk] for pk in comments.object_list if pk in found]
    for comment in comments.object_list:
        comment.url = comment_url(comment)
    blocks = list(commenter.blocks.select_related("created_by", "lifted_by"))
    events = AuditEvent.objects.for_list().filter(commenter=commenter)
    if not permissions.can(request.user, permissions.EDIT_POLICY):
        events = events.exclude(action__in=ADMIN_ONLY)  # would say which comments are gold
    events = list(events[: EVENTS_SHOWN + 1])
    return render(
        request,
        "moderation/commenter.html",
        {
            "commenter": commenter,
            # From the states' copies of the commenter, along their index (each comment has
            # one): joining the comments to their states took 28 ms for 6,663, this 1 ms.
            "counts": ModerationState.objects.filter(commenter=commenter).aggregate(
                comments=Count("pk"),
                removed=Count("pk", filter=Q(status=Status.REMOVED)),
                pending=Count("pk", filter=Q(status=Status.PENDING)),
            ),
            "tag_counts": (
                Tag.objects.current()
                .filter(comment__commenter=commenter)
                .values("category__name")
                .annotate(tags=Count("pk"), comments=Count("comment", distinct=True))
                .order_by("-tags", "category__name")
            ),
            "page": comments,
            "blocks": blocks,
            "in_force": next((b for b in blocks if b.in_force), None),
            "notes": commenter.notes.select_related("author"),
            "rows": describe(request.user, events[:EVENTS_SHOWN]),
            "more_events": len(events) > EVENTS_SHOWN,
            "block_form": block_form or BlockForm(),
            "unblock_form": unblock_form or UnblockForm(),
            "note_form": note_form or NoteForm(),
        },
        status=status,
    )


def _back(request, commenter_id):
    """To the form's `next` (the queue row whose side panel sent it), if it is on this site;
    else to the commenter's page."""
    if request.POST.get("next"):
        return redirect(protocol.next_url(request))
    return redirect("moderation:commenter", pk=commenter_id)


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")

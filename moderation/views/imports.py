"""`/imports/`: Admins upload an export or a page capture; a background worker imports it
(moderation.services.imports) while its page shows the progress, then the report."""

from django.conf import settings
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.views.decorators.http import require_GET, require_POST

from archive.importing.formats import FORMATS
from archive.models import Site
from moderation import permissions
from moderation.audit import Context
from moderation.forms import ImportUploadForm
from moderation.models import ImportJob
from moderation.services import imports
from moderation.services.errors import ModerationError

JOBS_PER_PAGE = 25


@permissions.require(permissions.IMPORT_DATA)
def import_list(request):
    if request.method == "POST":
        return _upload(request)
    return _page(request, ImportUploadForm())


def _page(request, form, status=200):
    jobs = ImportJob.objects.select_related("uploaded_by").order_by("-created_at", "-id")
    before = request.GET.get("before", "")
    if before.isascii() and before.isdigit():
        jobs = jobs.filter(pk__lt=int(before))
    rows = list(jobs[: JOBS_PER_PAGE + 1])
    context = {
        "form": form,
        "jobs": rows[:JOBS_PER_PAGE],
        "older": rows[JOBS_PER_PAGE - 1].pk if len(rows) > JOBS_PER_PAGE else None,
        "sites": Site.objects.order_by("name").values_list("name", flat=True)[:500],
        "max_bytes": settings.IMPORT_MAX_UPLOAD_BYTES,
    }
    return render(request, "moderation/imports.html", context, status=status)


def _upload(request):
    # A body larger than an upload may be never gets here: BodyLimitMiddleware refuses it
    # unread. The file's own size is checked again by the service.
    form = ImportUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, form, status=400)
    try:
        job = imports.receive_upload(
            request.user,
            form.cleaned_data["file"],
            kind=form.cleaned_data["kind"],
            site_name=form.cleaned_data["site_name"],
            domain=form.cleaned_data["domain"],
            dry_run=form.cleaned_data["dry_run"],
            context=Context.from_request(request),
        )
    except ModerationError as exc:
        form.add_error(None, str(exc))
        return _page(request, form, status=400)
    messages.success(request, f"{job.file_name} is uploaded and queued for import.")
    return redirect("moderation:import", pk=job.pk)


@permissions.require(permissions.IMPORT_DATA)
@require_GET
def import_detail(request, pk):
    job = get_object_or_404(ImportJob.objects.select_related("uploaded_by"), pk=pk)
    stalled = imports.stalled(job)
    return render(
        request,
        "moderation/import_detail.html",
        {
            "job": job,
            "progress": _progress(job),
            "stalled": stalled,
            "last_sign": imports.last_sign_of_life(job) if stalled else None,
            "file_kept": stalled and imports.stored_path(job).exists(),
        },
    )


@permissions.require(permissions.IMPORT_DATA)
@require_POST
def import_retry(request, pk):
    return _on_stalled(request, pk, imports.retry, "{} is queued again.")


@permissions.require(permissions.IMPORT_DATA)
@require_POST
def import_give_up(request, pk):
    return _on_stalled(request, pk, imports.give_up, "{} is given up: nothing was imported.")


def _on_stalled(request, pk, service, done):
    job = get_object_or_404(ImportJob, pk=pk)
    if not request.POST.get("confirm"):
        messages.error(request, "Tick the box to confirm.")
        return redirect("moderation:import", pk=job.pk)
    try:
        job = service(request.user, job, context=Context.from_request(request))
    except ModerationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done.format(job.file_name))
    return redirect("moderation:import", pk=job.pk)


@permissions.require(permissions.IMPORT_DATA)
@require_GET
def import_status(request, pk):
    """What the detail page polls while the import is queued or running."""
    job = get_object_or_404(ImportJob, pk=pk)
    return JsonResponse(
        {
            "state": job.state,
            "label": job.get_state_display(),
            "finished": job.finished,
            "stalled": imports.stalled(job),
            **_progress(job),
        }
    )


def _progress(job: ImportJob) -> dict:
    """How far the import is: `done` of `total` (comments written, or for a format loaded as
    it is read, bytes read: see archive.importing.formats), in words in `text`."""
    if job.finished:
        return {"percent": 100, "done": None, "total": None, "text": ""}
    found = imports.progress_of(job) or {}
    done, total = found.get("done"), found.get("total")
    if done is None or not total:
        return {"percent": None, "done": done, "total": total, "text": ""}
    percent = min(100, 100 * done // total)
    if FORMATS.get(job.kind) and FORMATS[job.kind].stream:
        text = f"{filesizeformat(done)} of {filesizeformat(total)} read ({percent} %)"
    else:
        text = f"{done:,} of {total:,} comments written ({percent} %)"
    return {"percent": percent, "done": done, "total": total, "text": text}

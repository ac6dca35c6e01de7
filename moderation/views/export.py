"""`/export/`: research exports (Researchers and Admins).

The page shows the filter, the counts and the agreement figures for the filtered comments;
the downloads stream the rows (`moderation.export` does the work). Every download is first
counted and recorded as an audit event through `services.record_export`, which also refuses
real names to anyone but an Admin; only then does the first byte leave.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from archive.models import Comment
from moderation import audit, export, permissions, services


@permissions.require(permissions.EXPORT_DATA)
@require_GET
def export_page(request):
    prepared, refusal = _prepare(request)
    if refusal:
        return refusal
    summary = prepared.summary()
    return _page(
        request,
        prepared.filterset,
        export.OptionsForm(request.GET),
        summary=summary,
        agreement=prepared.agreement_figures(summary.agreement),
        categories=prepared.categories,
        query=request.GET.urlencode(),
    )


@permissions.require(permissions.EXPORT_DATA)
@require_GET
def comments_file(request, fmt):
    return _download(request, "comments", fmt)


@permissions.require(permissions.EXPORT_DATA)
@require_GET
def labels_file(request, fmt):
    return _download(request, "labels", fmt)


@permissions.require(permissions.EXPORT_DATA)
@require_GET
def codebook_file(request):
    prepared, refusal = _prepare(request)
    if refusal:
        return refusal
    event = _record(request, prepared, "codebook.json", prepared.count("comments"))
    response = HttpResponse(
        export.codebook_bytes(prepared.codebook(event=event)),
        content_type=export.CONTENT_TYPES["json"],
    )
    return _attachment(response, prepared.filename("codebook", "json"))


@permissions.require(permissions.EXPORT_DATA)
@require_GET
def bundle_file(request):
    return _download(request, "bundle", "zip")


# Helpers


def _download(request, what, fmt):
    if what in export.TABLES and fmt not in export.FORMATS:
        raise Http404(f"No {fmt} export: use {' or '.join(export.FORMATS)}.")
    prepared, refusal = _prepare(request)
    if refusal:
        return refusal
    rows = prepared.count("comments" if what == "bundle" else what)
    event = _record(request, prepared, f"{what}.{fmt}", rows)
    response = StreamingHttpResponse(
        prepared.stream(what, fmt, event=event), content_type=export.CONTENT_TYPES[fmt]
    )
    return _attachment(response, prepared.filename(what, fmt))


def _prepare(request) -> tuple[export.Export | None, HttpResponse | None]:
    """(the export the query string asks for, None), or (None, the page saying why not)."""
    filterset = export.ExportFilter(request.GET, queryset=Comment.objects.all())
    options = export.OptionsForm(request.GET)
    if not (filterset.is_valid() and options.is_valid()):
        return None, _page(request, filterset, options, status=400)
    try:
        key = export.pseudonym_key()
    except export.ExportUnavailable as error:
        return None, _page(request, filterset, options, error=str(error), status=503)
    real_names = options.cleaned_data["real_names"]
    if real_names and not permissions.can(request.user, permissions.MANAGE_USERS):
        # The downloads are refused by services.record_export; the page shows names too.
        raise PermissionDenied("Only an Admin may export real names instead of pseudonyms.")
    return export.Export(filterset, key, real_names=real_names), None


def _record(request, prepared, what, rows):
    try:
        return services.record_export(
            request.user,
            what=what,
            filters=prepared.filterset.used(),
            rows=rows,
            real_names=prepared.real_names,
            context=audit.Context.from_request(request),
        )
    except services.NotAllowed as error:
        raise PermissionDenied(str(error)) from None


def _page(request, filterset, options, *, status=200, **context):
    return render(
        request,
        "moderation/export.html",
        {
            "filter": filterset,
            "options": options,
            "may_use_real_names": permissions.can(request.user, permissions.MANAGE_USERS),
            **context,
        },
        status=status,
    )


def _attachment(response, filename):
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response

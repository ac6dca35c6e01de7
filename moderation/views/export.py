"""`/export/`: research exports (Researchers and Admins).

The page shows the filter, the counts and the agreement figures for the filtered comments;
the downloads stream the rows (`moderation.export` does the work). Every download is first
counted (the rows of each table it covers) and recorded as an audit event through
`services.record_export`, which also refuses
real names to anyone but an Admin; only then does the first byte leave.

Two rules keep people's names where they belong:

* real names are honoured only on a POST, which Django's CSRF check guards: a download URL
  is a GET that writes an audit event, and a link on another site could otherwise make a
  logged-in Admin run a real-names export that the log records as their choice;
* the moderator filter is for Admins only: its list names every user, and a codebook
  filtered by one prints that user's pseudonym.
"""

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from archive.models import Comment
from moderation import audit, export, permissions, services
from moderation.agreement import MIN_ITEMS

REAL_NAMES_NEED_POST = (
    "Real-name exports must be requested with the form on the export page (tick the box, "
    "Show, then a download button): a link cannot start one."
)
MODERATOR_FOR_ADMINS = (
    "The moderator filter is for Admins only: remove moderator= from the address to "
    "download every moderator's labels, under pseudonyms."
)
# Pairs of moderators are many (one row per category and pair: some 3,700 for twenty sites
# of four categories and nine moderators), and a page of them is what a person reads; the
# codebook and the bundle carry them all.
PAIRS_PER_PAGE = 100
MODERATOR_IGNORED = (
    "The moderator filter is for Admins only and was ignored: the figures and downloads "
    "below cover every moderator."
)

# The page's downloads: (what, [(url name, url arguments, format)], hint).
DOWNLOADS = [
    (
        "Comments",
        [
            ("moderation:export_comments", ["csv"], "CSV"),
            ("moderation:export_comments", ["jsonl"], "JSON Lines"),
        ],
        "",
    ),
    (
        "Labels",
        [
            ("moderation:export_labels", ["csv"], "CSV"),
            ("moderation:export_labels", ["jsonl"], "JSON Lines"),
        ],
        "",
    ),
    (
        "Codebook",
        [("moderation:export_codebook", [], "JSON")],
        "columns, definitions, policy, agreement",
    ),
    (
        "Everything",
        [("moderation:export_bundle", [], "ZIP")],
        "with the codebook, a data statement and datapackage.json (the types, for pandas "
        "and Hugging Face datasets)",
    ),
]


@permissions.require(permissions.EXPORT_DATA)
@require_GET
def export_page(request):
    prepared, refusal = _prepare(request)
    if refusal:
        return refusal
    figures = prepared.figures(refresh=request.GET.get("refresh") == "1")
    summary = figures.summary
    params = _params(request.GET, prepared.filterset)
    # Only what the page shows: the designed overlap's alphas; all overlap's alphas, and
    # the kappas of the page of pairs shown (computed when the template reads them).
    agreement = prepared.agreement_figures(summary.agreement, lazy=True)
    designed = prepared.agreement_figures(summary.designed, kappas=False)
    return _page(
        request,
        prepared.filterset,
        export.OptionsForm(request.GET),
        summary=summary,
        figures=figures,
        agreement=agreement,
        designed=designed,
        min_items=MIN_ITEMS,
        pairs=Paginator(agreement["kappa"], PAIRS_PER_PAGE).get_page(request.GET.get("pairs")),
        categories=prepared.categories,
        downloads=[
            (what, [(reverse(name, args=args), label) for name, args, label in files], hint)
            for what, files, hint in DOWNLOADS
        ],
        # Pseudonymized downloads are links; real-name ones are forms posting these fields.
        post_downloads=prepared.real_names,
        query=params.urlencode(),
        hidden=[(name, value) for name, values in params.lists() for value in values],
        note=MODERATOR_IGNORED if prepared.filterset.ignored else "",
    )


@permissions.require(permissions.EXPORT_DATA)
@require_http_methods(["GET", "POST"])
def comments_file(request, fmt):
    return _download(request, "comments", fmt)


@permissions.require(permissions.EXPORT_DATA)
@require_http_methods(["GET", "POST"])
def labels_file(request, fmt):
    return _download(request, "labels", fmt)


@permissions.require(permissions.EXPORT_DATA)
@require_http_methods(["GET", "POST"])
def codebook_file(request):
    prepared, refusal = _prepare(request, download=True)
    if refusal:
        return refusal
    summary = prepared.summary()  # its counts go to the audit, and into the codebook
    event = _record(request, prepared, "codebook.json", prepared.rows("codebook", summary))
    response = HttpResponse(
        export.codebook_bytes(prepared.codebook(event=event, summary=summary)),
        content_type=export.CONTENT_TYPES["json"],
    )
    return _attachment(response, prepared.filename("codebook", "json"))


@permissions.require(permissions.EXPORT_DATA)
@require_http_methods(["GET", "POST"])
def bundle_file(request):
    return _download(request, "bundle", "zip")


# Helpers


def _download(request, what, fmt):
    if what in export.TABLES and fmt not in export.FORMATS:
        raise Http404(f"No {fmt} export: use {' or '.join(export.FORMATS)}.")
    prepared, refusal = _prepare(request, download=True)
    if refusal:
        return refusal
    # The bundle's rows are its summary's counts, which its codebook writes too: made once.
    summary = prepared.summary() if what == "bundle" else None
    event = _record(request, prepared, f"{what}.{fmt}", prepared.rows(what, summary))
    response = StreamingHttpResponse(
        prepared.stream(what, fmt, event=event, summary=summary),
        content_type=export.CONTENT_TYPES[fmt],
    )
    return _attachment(response, prepared.filename(what, fmt))


def _prepare(request, *, download=False) -> tuple[export.Export | None, HttpResponse | None]:
    """(the export the request asks for, None), or (None, the page saying why not). A
    download takes its fields from the query string, or from the body of a POST."""
    data = request.POST if request.method == "POST" else request.GET
    is_admin = permissions.can(request.user, permissions.MANAGE_USERS)
    filterset = export.ExportFilter(data, queryset=Comment.objects.all(), with_moderator=is_admin)
    options = export.OptionsForm(data)
    if not (filterset.is_valid() and options.is_valid()):
        return None, _page(request, filterset, options, status=400)
    try:
        key = export.pseudonym_key()
    except export.ExportUnavailable as error:
        return None, _page(request, filterset, options, error=str(error), status=503)
    real_names = options.cleaned_data["real_names"]
    if real_names and not is_admin:
        # The downloads are refused by services.record_export; the page shows names too.
        raise PermissionDenied("Only an Admin may export real names instead of pseudonyms.")
    if download and real_names and request.method != "POST":
        return None, _page(request, filterset, options, error=REAL_NAMES_NEED_POST, status=400)
    if download and filterset.ignored:
        # A file cannot carry the page's note: refuse rather than export more than was asked.
        return None, _page(request, filterset, options, error=MODERATOR_FOR_ADMINS, status=400)
    return export.Export(filterset, key, real_names=real_names), None


def _params(data: QueryDict, filterset) -> QueryDict:
    """The request's fields without those the filter ignored, for the download links."""
    params = data.copy()
    params.pop("pairs", None)  # the page's own: which pairs of moderators it shows
    for name in filterset.ignored:
        params.pop(name, None)
    return params


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

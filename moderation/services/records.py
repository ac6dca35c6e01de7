"""Imports and exports, put on the record: one audit event per imported file (inside the
import's own transaction) and per export (before its first byte leaves)."""

from django.db import transaction

from moderation import permissions
from moderation.actions import Action
from moderation.audit import Context
from moderation.models import AuditEvent
from moderation.services._common import append, require
from moderation.services.errors import NotAllowed
from moderation.services.locks import retried

# Imports (the archive's signal)


def record_import(*, site, source, origin, report, user=None) -> AuditEvent:
    """One audit event per imported file, inside the import's own transaction."""
    return append(
        actor=user,
        action=Action.IMPORT,
        target=site,
        after={
            "source": source,
            "file": origin,
            "articles_created": report.articles_created,
            "articles_updated": report.articles_updated,
            "comments_created": report.comments_created,
            "comments_updated": report.comments_updated,
            "comments_unchanged": report.comments_unchanged,
            "commenters_created": report.commenters_created,
        },
        note=origin,
        site=site,
    )


# Research exports


@retried
def record_export(
    actor,
    *,
    what: str,
    filters: dict,
    rows: int,
    real_names: bool = False,
    context: Context | None = None,
) -> AuditEvent:
    """Every export is on the record: who, what, with which filters, how many rows. Real
    names instead of pseudonyms only for an Admin who asks for them explicitly."""
    require(actor, permissions.EXPORT_DATA)
    if real_names and not permissions.can(actor, permissions.MANAGE_USERS):
        raise NotAllowed("Only an Admin may export real names instead of pseudonyms.")
    with transaction.atomic():
        return append(
            actor=actor,
            action=Action.EXPORT,
            target=None,
            after={"what": what, "filters": filters, "rows": rows, "real_names": real_names},
            note=f"{what}: {rows} row(s){' with real names' if real_names else ''}",
            context=context,
        )

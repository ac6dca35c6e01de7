"""Imports uploaded from the dashboard (/imports/): an Admin's file is stored, put on the
record and queued; a background worker (moderation.tasks) imports it through the same
`archive.importing.formats.import_file` as the commands, and keeps the report they print.

An upload is size-limited (IMPORT_MAX_UPLOAD_BYTES) and recorded with its name, size and
SHA-256 (`import.upload`); the import is recorded as every import is (`import`), or its
failure (`import.failed`), with the uploader as the actor. The import's progress goes to the
"imports" cache, not the database: the import's own transaction holds the rows until it ends,
and progress must be seen before.
"""

import hashlib
import logging
import os
import re
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.utils import timezone

from archive.importing.formats import FORMATS, import_file
from archive.importing.records import SOURCE_PAGE, ImportFailure
from moderation import permissions
from moderation.actions import Action
from moderation.audit import Context
from moderation.models import ImportJob
from moderation.services._common import append, require
from moderation.services.errors import Conflict, Invalid

log = logging.getLogger(__name__)
CHUNK = 1024 * 1024
# What the report keeps of long lists (the command prints them all; a page shows the first).
REPORT_LIST_MAX = 200
PROGRESS_EVERY = 0.5  # seconds between progress writes
NAME_MAX = 255


def stored_path(job: ImportJob) -> Path:
    return Path(settings.IMPORT_DIR) / f"upload-{job.pk}"


def _progress_key(job_id: int) -> str:
    return f"import-progress-{job_id}"


def progress_of(job: ImportJob) -> dict | None:
    """The running import's last progress: {"done", "total", "at"} (a Unix time), or None."""
    return caches["imports"].get(_progress_key(job.pk))


# Which format a file is in, when the uploader leaves it to us.


def detect_kind(head: bytes, file_name: str) -> str | None:
    """The format of a file from its first bytes (its root element), else its name. Reads
    past a byte order mark, white space, the XML declaration and comments, each found with
    str.find: linear in the bytes read, whatever they hold."""
    text = head.decode("utf-8", "replace").lstrip("\ufeff")
    at = 0
    while True:
        at = _SPACE.match(text, at).end()
        if text.startswith("<?", at):
            end = text.find("?>", at)
        elif text.startswith("<!--", at):
            end = text.find("-->", at + 4)
        else:
            break
        if end < 0:
            return None
        at = end + 2 + (text[end] == "-")
    root = _ROOT.match(text, at)
    if root:
        return {"rss": "wxr", "disqus": "disqus"}.get(root[1].rsplit(":", 1)[-1].lower())
    if file_name.lower().endswith(".txt") and "page" in FORMATS:
        return "page"
    return None


_ROOT = re.compile(r"<([A-Za-z_][\w:.-]*)")
_SPACE = re.compile(r"\s*")


def receive_upload(
    actor,
    upload,
    *,
    kind: str = "",
    site_name: str = "",
    domain: str = "",
    dry_run: bool = False,
    context: Context | None = None,
) -> ImportJob:
    """Store `upload` (a Django UploadedFile), record it and queue its import. Raises
    Invalid, keeping nothing, for a file too large or in a format we cannot tell."""
    require(actor, permissions.IMPORT_DATA)
    limit = settings.IMPORT_MAX_UPLOAD_BYTES
    if upload.size > limit:
        raise Invalid(
            f"{upload.name} is {upload.size:,} bytes; an upload may be at most {limit:,} bytes "
            "(import larger exports with the import commands)."
        )
    if not upload.size:
        raise Invalid(f"{upload.name} is empty.")
    name = Path(upload.name or "upload").name[:NAME_MAX]
    head = next(upload.chunks(64 * 1024), b"")
    upload.seek(0)
    kind = kind or detect_kind(head, name)
    if kind not in FORMATS:
        raise Invalid(
            f"Cannot tell what kind of export {name} is (its first element is not <rss> or "
            "<disqus>, and it is not a .txt page capture): choose its format."
        )
    directory = Path(settings.IMPORT_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    handle, name_on_disk = tempfile.mkstemp(prefix="receiving-", dir=directory)
    partial = Path(name_on_disk)
    digest = hashlib.sha256()
    try:
        with os.fdopen(handle, "wb") as out:
            for chunk in upload.chunks(CHUNK):
                digest.update(chunk)
                out.write(chunk)
        with transaction.atomic():
            job = ImportJob.objects.create(
                uploaded_by=actor,
                kind=kind,
                file_name=name,
                size=upload.size,
                sha256=digest.hexdigest(),
                site_name=site_name.strip(),
                domain=domain.strip(),
                dry_run=dry_run,
            )
            append(
                actor=actor,
                action=Action.IMPORT_UPLOAD,
                target=job,
                after={
                    "file": name,
                    "kind": kind,
                    "size": upload.size,
                    "sha256": job.sha256,
                    "site": job.site_name,
                    "dry_run": dry_run,
                },
                note=name,
                context=context,
            )
            partial.replace(stored_path(job))
            # The task's row is written in this transaction: no job without its task, and no
            # worker starts before the file and the job are there.
            from moderation.tasks import run_import

            job.task_id = str(run_import.enqueue(job.pk).id)
            job.save(update_fields=["task_id"])
    except BaseException:
        partial.unlink(missing_ok=True)
        if "job" in locals() and job.pk:
            stored_path(job).unlink(missing_ok=True)
        raise
    return job


def run(job_id: int) -> str:
    """Import the job's file (what the worker runs). Returns the job's final state."""
    job = ImportJob.objects.select_related("uploaded_by").get(pk=job_id)
    if job.finished:
        return job.state  # run twice: what is done is done
    ImportJob.objects.filter(pk=job.pk).update(
        state=ImportJob.State.RUNNING, started_at=timezone.now()
    )
    path = stored_path(job)
    cache = caches["imports"]
    last = [time.time()]
    cache.set(_progress_key(job.pk), {"done": 0, "total": 0, "at": last[0]})

    def progress(done: int, total: int) -> None:
        now = time.time()
        if now - last[0] >= PROGRESS_EVERY or done >= total:
            last[0] = now
            cache.set(_progress_key(job.pk), {"done": done, "total": total, "at": now})

    try:
        # Its own transaction, which a file parsed whole (a page capture, a Disqus export)
        # begins only once parsed: on SQLite the write lock is held for the writing alone.
        parsed, report = import_file(
            job.kind,
            path,
            site_name=job.site_name or None,
            domain=job.domain,
            origin=job.file_name,
            user=job.uploaded_by,
            dry_run=job.dry_run,
            progress=progress,
        )
        # Committed: should the worker stop before the next line, the job stalls, and run
        # again it finds every row already there (an import is idempotent).
        job.report = report_of(parsed, report)
        job.state = ImportJob.State.CHECKED if job.dry_run else ImportJob.State.DONE
        job.finished_at = timezone.now()
        job.save(update_fields=["report", "state", "finished_at"])
    except ImportFailure as exc:
        _failed(job, f"{job.file_name}: {exc}; nothing from this file was written")
    except Exception as exc:
        _failed(job, f"the import stopped on an internal error ({type(exc).__name__}); "
                     "nothing from this file was written")  # fmt: skip
        raise
    finally:
        path.unlink(missing_ok=True)
        cache.delete(_progress_key(job.pk))
    return job.state


def _failed(job: ImportJob, error: str, *, actor=None, context: Context | None = None) -> None:
    """The job marked failed, then the failure put on the record, each in a transaction of
    its own: a record that cannot be written (its lock contended past the worker's patience)
    must not leave the job looking as if it still ran."""
    job.state = ImportJob.State.FAILED
    job.error = error
    job.finished_at = timezone.now()
    job.save(update_fields=["state", "error", "finished_at"])
    try:
        with transaction.atomic():
            append(
                actor=actor or job.uploaded_by,
                action=Action.IMPORT_FAILED,
                target=job,
                after={"file": job.file_name, "kind": job.kind, "error": error[:2000]},
                note=job.file_name,
                context=context,
            )
    except Exception:
        log.exception("import #%s failed, and its failure could not be recorded", job.pk)


# An import that stopped without a word (its worker killed, the machine restarted).


def last_sign_of_life(job: ImportJob):
    """When the job last showed it was moving: its progress, its start, or its upload."""
    found = progress_of(job)
    if found and found.get("at"):
        return datetime.fromtimestamp(found["at"], tz=UTC)
    return job.started_at or job.created_at


def stalled(job: ImportJob) -> bool:
    """Queued or running, with no sign of life for IMPORT_STALLED_SECONDS."""
    if job.finished:
        return False
    quiet = timezone.now() - last_sign_of_life(job)
    return quiet.total_seconds() > settings.IMPORT_STALLED_SECONDS


def retry(actor, job: ImportJob, *, context: Context | None = None) -> ImportJob:
    """Queue a stalled import again (its file is still here: it never finished)."""
    require(actor, permissions.IMPORT_DATA)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if not stalled(job):
            raise Conflict("This import is not stalled: it finished, or it is still moving.")
        if not stored_path(job).exists():
            raise Conflict("The uploaded file is gone: give this import up and upload it again.")
        from moderation.tasks import run_import

        job.state = ImportJob.State.QUEUED
        job.started_at = None
        job.task_id = str(run_import.enqueue(job.pk).id)
        job.save(update_fields=["state", "started_at", "task_id"])
        caches["imports"].delete(_progress_key(job.pk))
        append(
            actor=actor,
            action=Action.IMPORT_RETRY,
            target=job,
            after={"file": job.file_name, "kind": job.kind, "task": job.task_id},
            note=job.file_name,
            context=context,
        )
    return job


def give_up(actor, job: ImportJob, *, context: Context | None = None) -> ImportJob:
    """Mark a stalled import failed and delete its file. Its import never committed, so
    nothing from it is in the archive; should its worker still be alive and finish, the
    job shows what it did after all."""
    require(actor, permissions.IMPORT_DATA)
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if not stalled(job):
            raise Conflict("This import is not stalled: it finished, or it is still moving.")
    since = timezone.localtime(last_sign_of_life(job))
    _failed(
        job,
        f"{job.file_name}: given up by {actor.get_username()}: no sign of its worker since "
        f"{since:%Y-%m-%d %H:%M}; nothing from this file was written",
        actor=actor,
        context=context,
    )
    stored_path(job).unlink(missing_ok=True)
    caches["imports"].delete(_progress_key(job.pk))
    return job


def report_of(parsed, report) -> dict:
    """The report as the job keeps it (JSON): the command's summary, counts and lists."""

    def first(items):
        return list(items)[:REPORT_LIST_MAX]

    kinds: dict[str, int] = {}
    for skipped in parsed.skipped:
        kinds[skipped.kind] = kinds.get(skipped.kind, 0) + 1
    return {
        "summary": report.summary(),
        "site": report.site,
        "articles": {
            "new": report.articles_created,
            "updated": report.articles_updated,
            "unchanged": report.articles_unchanged,
        },
        "comments": {
            "new": report.comments_created,
            "updated": report.comments_updated,
            "unchanged": report.comments_unchanged,
        },
        "commenters_new": report.commenters_created,
        "skipped": {
            "total": len(parsed.skipped) + parsed.unlisted_skipped,
            "kinds": sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])),
            "first": first([s.where, s.kind, s.text[:200]] for s in parsed.skipped),
        },
        "warnings": {
            "total": len(report.warnings) + report.unlisted_warnings,
            "first": first([w.where, w.message] for w in report.warnings),
        },
        "policy_change": list(report.policy_change) if report.policy_change else None,
        "kept_missing": {"total": len(report.kept_missing), "first": first(report.kept_missing)},
        "no_comments": parsed.source == SOURCE_PAGE and not parsed.comment_count,
    }

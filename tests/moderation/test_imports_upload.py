"""/imports/: an Admin uploads a file, a background worker imports it, the page reports.

The worker is the real one (`manage.py task_worker --batch`, on the database backend the app
uses), run by the test where a server would have it running beside the web server.
"""

import hashlib
import json
from pathlib import Path
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from archive.models import Article, Comment, Site
from archive.signals import comments_imported
from moderation.actions import Action
from moderation.models import AuditEvent, ImportJob

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "fixtures" / "wxr" / "example.xml"
URL = reverse("moderation:imports")


def upload(client, path=EXAMPLE, *, name=None, data=None, **fields):
    content = data if data is not None else path.read_bytes()
    file = SimpleUploadedFile(name or path.name, content, content_type="application/xml")
    return client.post(URL, {"file": file, **fields})


def work():
    """What `make run`'s worker does, until the queue is empty. Inside the test's transaction
    the worker must not close the connection between tasks (as Django's test client keeps
    it between requests)."""
    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        call_command("task_worker", batch=True, interval=0, startup_delay=False, verbosity=0)


def job_page(client, job):
    return client.get(reverse("moderation:import", args=[job.pk])).content.decode()


def test_an_admin_uploads_an_export_and_a_worker_imports_it(admin_client, admin, settings):
    response = upload(admin_client)
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("moderation:import", args=[job.pk])
    assert job.state == "queued"
    assert job.kind == "wxr"
    assert job.uploaded_by == admin
    assert job.sha256 == hashlib.sha256(EXAMPLE.read_bytes()).hexdigest()
    assert "Waiting for a worker" in job_page(admin_client, job)
    assert not Article.objects.exists()  # nothing before the worker runs

    work()

    job.refresh_from_db()
    assert job.state == "done", job.error
    article = Article.objects.get(source="wxr", source_key="10")
    assert Comment.objects.filter(article=article).count() == job.report["comments"]["new"] == 3
    page = job_page(admin_client, job)
    assert "<strong>Comments</strong>: 3 new, 0 updated, 0 unchanged" in page
    assert job.report["summary"] in admin_client.get(URL).content.decode()  # the list
    assert "spam: 1" in page
    assert "pingback: 1" in page
    # On the record: the upload (with its hash), and the import by the uploader.
    uploaded = AuditEvent.objects.get(action=Action.IMPORT_UPLOAD)
    assert uploaded.actor == admin
    assert uploaded.after["sha256"] == job.sha256
    imported = AuditEvent.objects.get(action=Action.IMPORT)
    assert imported.actor == admin
    assert imported.after["comments_created"] == 3
    assert not list(Path(settings.IMPORT_DIR).glob("upload-*"))  # the file is not kept
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def test_the_report_is_the_commands_report(admin_client, tmp_path):
    upload(admin_client)
    work()
    job = ImportJob.objects.get()
    # The same file again, through the command: unchanged, as the page's second upload says.
    from io import StringIO

    out = StringIO()
    call_command("import_wxr", str(EXAMPLE), stdout=out)
    assert "comments 0 new, 0 updated, 3 unchanged" in out.getvalue()
    upload(admin_client)
    work()
    again = ImportJob.objects.exclude(pk=job.pk).get()
    assert again.report["summary"] in out.getvalue()
    assert again.report["comments"] == {"new": 0, "updated": 0, "unchanged": 3}


def test_a_broken_file_fails_naming_file_and_line_and_writes_nothing(admin_client, admin):
    broken = EXAMPLE.read_bytes().replace(b"</item>", b"</itm>", 1)
    upload(admin_client, name="broken.xml", data=broken)
    work()
    job = ImportJob.objects.get()
    assert job.state == "failed"
    assert job.error.startswith("broken.xml: line ")
    assert "mismatched tag" in job.error
    assert "nothing from this file was written" in job.error
    assert not Article.objects.exists()
    assert not Site.objects.filter(name="Example Gazette")
    failed = AuditEvent.objects.get(action=Action.IMPORT_FAILED)
    assert failed.actor == admin
    assert failed.after["error"] == job.error
    page = job_page(admin_client, job)
    assert "Not imported" in page
    assert "mismatched tag" in page


def test_a_check_only_upload_reports_and_writes_nothing(admin_client):
    upload(admin_client, dry_run="on")
    work()
    job = ImportJob.objects.get()
    assert job.state == "checked"
    assert job.report["comments"]["new"] == 3
    assert not Article.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.IMPORT).exists()
    assert "nothing was written" in job_page(admin_client, job)


def test_a_page_capture_upload_takes_the_site_named_in_the_form(admin_client):
    capture = next((ROOT / "fixtures" / "pages").glob("*.txt"))
    upload(admin_client, capture, name="capture.txt", site_name="Uploaded Gazette")
    work()
    job = ImportJob.objects.get()
    assert job.kind == "page"
    assert job.state == "done", job.error
    assert Article.objects.filter(site__name="Uploaded Gazette", source_key="capture").exists()


def test_progress_is_visible_while_the_import_is_still_in_its_transaction(admin_client):
    seen = []

    def look(**kwargs):  # runs inside the import's transaction, before it commits
        response = admin_client.get(reverse("moderation:import_status", args=[job.pk]))
        seen.append(json.loads(response.content))

    upload(admin_client)
    job = ImportJob.objects.get()
    comments_imported.connect(look, dispatch_uid="test-look")
    try:
        work()
    finally:
        comments_imported.disconnect(dispatch_uid="test-look")
    size = EXAMPLE.stat().st_size  # a WordPress export is loaded as read: bytes of it
    assert seen == [
        {"state": "running", "label": "Importing", "finished": False, "stalled": False,
         "percent": 100, "done": size, "total": size, "text": "4.7\xa0KB of 4.7\xa0KB read (100 %)"}
    ]  # fmt: skip
    after = json.loads(admin_client.get(reverse("moderation:import_status", args=[job.pk])).content)
    assert after["finished"] is True
    assert after["state"] == "done"


def test_an_upload_larger_than_the_limit_is_refused_and_nothing_kept(admin_client, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 1000
    response = upload(admin_client)
    assert response.status_code in (400, 413)
    assert "an upload may be at most 1,000 bytes" in response.content.decode()
    assert not ImportJob.objects.exists()
    assert not DBTaskResult.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.IMPORT_UPLOAD).exists()
    assert (
        not any(Path(settings.IMPORT_DIR).glob("*")) if Path(settings.IMPORT_DIR).exists() else True
    )


def test_a_body_announced_too_large_is_refused_before_it_is_read(admin_client, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 1000
    body = mock.Mock(side_effect=AssertionError("the body was read"))
    with mock.patch("django.core.handlers.wsgi.LimitedStream.read", body):
        response = admin_client.post(
            URL, data=b"x" * 10, content_type="multipart/form-data; boundary=x",
            CONTENT_LENGTH=str(10**9),
        )  # fmt: skip
    assert response.status_code == 413
    assert "larger than an upload may be (1,000 bytes)" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_any_other_body_over_the_request_limit_is_refused_unread(client, settings):
    settings.MAX_REQUEST_BYTES = 5000
    response = client.post(
        reverse("login"), data=b"x" * 10, content_type="application/x-www-form-urlencoded",
        CONTENT_LENGTH="6000",
    )  # fmt: skip
    assert response.status_code == 413
    assert "larger than a request may be (5,000 bytes)" in response.content.decode()


def test_the_kind_of_a_file_is_told_in_linear_time_whatever_its_start(admin_client):
    # 281 bytes of empty comments and a "!" took seconds, doubling with each comment more.
    response = upload(admin_client, name="odd.xml", data=b"<!---->" * 40 + b"!")
    assert response.status_code == 400
    assert "Cannot tell what kind of export odd.xml is" in response.content.decode()
    many = upload(admin_client, name="many.xml", data=b"<!---->" * 9000 + b"<rss>")
    assert many.status_code == 302  # told: a WordPress export (which then fails to import)


def test_older_imports_page_ignores_a_cursor_that_is_not_a_number(admin_client):
    assert admin_client.get(URL, {"before": "\u00b2"}).status_code == 200


def test_a_file_of_unknown_kind_is_refused_with_a_reason(admin_client):
    response = upload(admin_client, name="notes.csv", data=b"id,text\n1,hello\n")
    assert response.status_code == 400
    assert "Cannot tell what kind of export notes.csv is" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_a_forged_format_is_refused(admin_client):
    response = upload(admin_client, kind="../../etc/passwd")
    assert response.status_code == 400
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize("persona", ["moderator", "researcher", "outsider"])
def test_only_admins_may_import(client_for, persona, request):
    client = client_for(request.getfixturevalue(persona))
    assert client.get(URL).status_code == 403
    assert upload(client).status_code == 403
    assert not ImportJob.objects.exists()


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_list_shows_recent_imports_and_an_empty_state(admin_client):
    assert "Nothing has been uploaded yet" in admin_client.get(URL).content.decode()
    upload(admin_client)
    work()
    page = admin_client.get(URL).content.decode()
    assert "example.xml" in page
    assert "Imported" in page


def test_a_disqus_export_is_told_from_its_first_element_and_imported(admin_client):
    disqus = ROOT / "fixtures" / "disqus" / "example.xml"
    upload(admin_client, disqus)
    work()
    job = ImportJob.objects.get()
    assert job.kind == "disqus"
    assert job.state == "done", job.error
    assert Comment.objects.filter(source="disqus").count() == job.report["comments"]["new"] > 0
    assert "deleted" in dict(job.report["skipped"]["kinds"])


def test_the_worker_outlives_a_locked_database_when_claiming_a_task(admin_client):
    # db_worker stops when claiming meets a locked database (another worker's import holds
    # SQLite's write lock); task_worker says so and tries again.
    from django.db.utils import OperationalError
    from django_tasks_db.management.commands import db_worker

    real = db_worker.exclusive_transaction
    calls = []

    def locked_once(using=None):
        calls.append(using)
        if len(calls) == 1:
            raise OperationalError("database is locked")
        return real(using)

    upload(admin_client)
    with mock.patch.object(db_worker, "exclusive_transaction", locked_once):
        work()
    assert len(calls) >= 2
    assert ImportJob.objects.get().state == "done"


def stall(job, settings):
    """As if the worker died: the job left running, nothing heard from it for a while."""
    settings.IMPORT_STALLED_SECONDS = 60
    from django.utils import timezone

    ImportJob.objects.filter(pk=job.pk).update(
        state="running", started_at=timezone.now() - timezone.timedelta(minutes=5)
    )


def test_a_stalled_import_can_be_run_again_and_then_imports(admin_client, admin, settings):
    upload(admin_client)
    job = ImportJob.objects.get()
    DBTaskResult.objects.all().delete()  # the worker took the task and died with it
    stall(job, settings)
    page = job_page(admin_client, job)
    assert "No sign of life since" in page
    assert "Run it again" in page
    url = reverse("moderation:import_retry", args=[job.pk])
    unconfirmed = admin_client.post(url, follow=True)
    assert "Tick the box to confirm" in unconfirmed.content.decode()
    admin_client.post(url, {"confirm": "on"})
    job.refresh_from_db()
    assert job.state == "queued"
    assert AuditEvent.objects.filter(action=Action.IMPORT_RETRY, actor=admin).count() == 1
    work()
    job.refresh_from_db()
    assert job.state == "done"
    assert Comment.objects.filter(article__source_key="10").count() == 3


def test_a_stalled_import_can_be_given_up_and_its_file_goes(admin_client, admin, settings):
    upload(admin_client)
    job = ImportJob.objects.get()
    stall(job, settings)
    admin_client.post(reverse("moderation:import_give_up", args=[job.pk]), {"confirm": "on"})
    job.refresh_from_db()
    assert job.state == "failed"
    assert "given up by ada: no sign of its worker since" in job.error
    assert not any(Path(settings.IMPORT_DIR).glob("upload-*"))
    assert AuditEvent.objects.get(action=Action.IMPORT_FAILED).actor == admin


def test_an_import_that_is_moving_cannot_be_run_again(admin_client, settings):
    upload(admin_client)
    job = ImportJob.objects.get()
    response = admin_client.post(
        reverse("moderation:import_retry", args=[job.pk]), {"confirm": "on"}, follow=True
    )
    assert "This import is not stalled" in response.content.decode()
    assert not AuditEvent.objects.filter(action=Action.IMPORT_RETRY).exists()


def test_a_new_sites_policy_is_recorded_at_the_end_of_its_import(admin_client):
    # The audit log's head stays locked from an import's first event to its commit: a new
    # site's policy version recorded as the site was made held it for the whole import,
    # and on PostgreSQL every moderator's action waited (then failed) meanwhile.
    from archive.signals import comments_stored

    events_while_loading = []

    def count(**kwargs):
        events_while_loading.append(AuditEvent.objects.exclude(action="import.upload").count())

    upload(admin_client)
    comments_stored.connect(count, dispatch_uid="test-count")
    try:
        work()
    finally:
        comments_stored.disconnect(dispatch_uid="test-count")
    assert events_while_loading
    assert set(events_while_loading) == {0}
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions[-2:] == ["policy.create", "import"]


def test_another_capture_under_a_name_already_imported_is_refused(admin_client):
    # Browsers' uploads share names ("capture.txt"): the second page would have replaced
    # the first article and kept its comments as missing.
    first, second = sorted((ROOT / "fixtures" / "pages").glob("*.txt"))[1:3]
    upload(admin_client, first, name="capture.txt", site_name="Gazette")
    work()
    article = Article.objects.get(source_key="capture")
    title, comments = article.title, article.comments.count()
    upload(admin_client, second, name="capture.txt", site_name="Gazette")
    work()
    job = ImportJob.objects.order_by("-pk").first()
    assert job.state == "failed"
    assert "a capture named 'capture' was imported before with the title" in job.error
    assert "rename the file to import it as another article" in job.error
    article.refresh_from_db()
    assert (article.title, article.comments.count()) == (title, comments)

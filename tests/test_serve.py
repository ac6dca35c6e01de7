"""`make serve`: gunicorn on the loopback with the workers asked for, debug off whatever the
local settings file says, WhiteNoise serving the collected static files; and no secret key,
no server."""

import http.client
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, clean_environment

pytestmark = pytest.mark.serve


def get(served, path, headers=None):
    connection = http.client.HTTPConnection("127.0.0.1", served.server.port, timeout=30)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


def test_it_runs_gunicorn_on_the_loopback_with_the_workers_asked_for(served):
    output = served.server.output()
    assert f"Listening at: http://127.0.0.1:{served.server.port}" in output
    assert served.server.workers() == 2  # WEB_CONCURRENCY


def test_debug_stays_off_though_the_local_settings_file_says_true(served):
    assert "DJANGO_DEBUG=true" in (served.where / ".env").read_text()
    status, headers, _ = get(served, "/accounts/login/")
    assert status == 200  # plain http on the loopback: no redirect to https
    assert headers["Server"] == "gunicorn"
    assert "; Secure" in headers["Set-Cookie"]  # secure cookies: debug is off
    status, _, body = get(served, "/no-such-page/")
    assert status == 404
    assert b"URLconf" not in body  # our 404 page, not the debug one


def test_whitenoise_serves_the_collected_files_by_hashed_name_compressed(served):
    _, _, body = get(served, "/accounts/login/")
    (stylesheet,) = re.findall(rb'href="(/static/css/app\.[0-9a-f]{12}\.css)"', body)
    status, headers, _ = get(served, stylesheet.decode(), {"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert "immutable" in headers["Cache-Control"]


def test_without_a_secret_key_it_stops_before_serving(tmp_path):
    settings_file = tmp_path / "settings.env"
    settings_file.write_text("# no secret key here\n")
    result = subprocess.run(
        ["make", "-s", "serve", f"ENV_FILE={settings_file}", f"BIN={Path(sys.executable).parent}"],
        cwd=ROOT,
        env={**clean_environment(), "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off" in result.stderr


def test_a_background_worker_runs_beside_the_server(served):
    # Imports uploaded at /imports/ need one (see the Makefile's with_worker).
    listing = subprocess.run(
        ["ps", "-o", "args=", "-g", str(served.server.process.pid)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "manage.py task_worker" in listing
    assert "gunicorn" in listing


def server_env(served) -> dict:
    """The environment the server's processes run in (its database, settings and keys)."""
    return {
        **served.env,
        "DJANGO_DEBUG": "false",
        "DJANGO_ENV_FILE": str(served.where / ".env"),
        "AUDIT_SIGNING_KEY_FILE": str(served.where / ".audit-signing-key"),
    }


def manage(served, *args, check=True):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=server_env(served),
        capture_output=True,
        text=True,
        check=check,
        timeout=180,
    )


QUEUE_UPLOADS = """
from django.core.files.uploadedfile import SimpleUploadedFile
from moderation.services.imports import receive_upload
from tests import factories
admin = factories.make_member("workers-admin", "Admin")
comment = (
    "<wp:comment><wp:comment_id>%d</wp:comment_id><wp:comment_author>reader %d"
    "</wp:comment_author><wp:comment_content>Comment %d.</wp:comment_content>"
    "<wp:comment_approved>1</wp:comment_approved></wp:comment>"
)
for n in range(6):  # long enough (1,500 comments) that the workers meet
    comments = "".join(comment % (i, i % 50, i) for i in range(1, 1501))
    data = (
        '<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>Gazette %d</title>'
        "<item><title>Story</title><wp:post_id>1</wp:post_id>%s</item></channel></rss>"
        % (n, comments)
    )
    receive_upload(admin, SimpleUploadedFile("gazette-%d.xml" % n, data.encode()))
"""

JOBS = """
import json
from django_tasks_db.models import DBTaskResult
from moderation.models import AuditEvent, ImportJob
print(json.dumps({
    "states": sorted(ImportJob.objects.values_list("state", flat=True)),
    "imports": AuditEvent.objects.filter(action="import").count(),
    "tasks": sorted(DBTaskResult.objects.values_list("status", flat=True)),
}))
"""
CHAIN = "from moderation import audit; print(audit.verify(keys={})[1])"
WORKER = ["manage.py", "task_worker", "--batch", "--interval", "0", "--no-startup-delay"]


def test_several_workers_share_the_queue_each_import_running_once(served):
    manage(served, "shell", "-c", QUEUE_UPLOADS)
    # Two more workers beside the one `make serve` runs, all three taking tasks at once.
    extra = [
        subprocess.Popen(
            [sys.executable, *WORKER],
            cwd=ROOT,
            env=server_env(served),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for process in extra:
        assert process.wait(timeout=180) == 0, process.stderr.read()
    for _ in range(60):
        jobs = json.loads(manage(served, "shell", "-c", JOBS).stdout.splitlines()[-1])
        if "queued" not in jobs["states"] and "running" not in jobs["states"]:
            break
        time.sleep(1)
    assert jobs["states"] == ["done"] * 6
    assert jobs["imports"] == 6  # each file imported once: one audit event each
    assert jobs["tasks"] == ["SUCCESSFUL"] * 6
    # On SQLite, one writer at a time: an import holds the write lock until it commits, so
    # the workers take turns (on PostgreSQL they import side by side); none runs a task twice.
    # The chain's links and hashes hold (signatures are checked elsewhere: other tests of
    # this session wrote events to this database signed with the tests' own key).
    assert manage(served, "shell", "-c", CHAIN).stdout.splitlines()[-1] == "None"

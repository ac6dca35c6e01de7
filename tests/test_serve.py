"""`make serve`: gunicorn on the loopback with the workers asked for, debug off whatever the
local settings file says, WhiteNoise serving the collected static files; and no secret key,
no server."""

import http.client
import re
import subprocess
import sys
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
    assert "manage.py db_worker" in listing
    assert "gunicorn" in listing

"""The database settings in force: on SQLite WAL, synchronous=NORMAL, a busy timeout and
IMMEDIATE transactions, so several workers share one file without "database is locked"; on
PostgreSQL a lock timeout, so a request never waits on a lock for ever."""

import json
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import ROOT, clean_environment


def test_sqlite_gets_wal_immediate_transactions_and_a_busy_timeout_in_settings():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, moderation.settings as s; print(json.dumps(s.DATABASES['default']))",
        ],
        cwd=ROOT,
        env={**clean_environment(), "DATABASE_URL": "sqlite:///x.sqlite3", "DJANGO_DEBUG": "true"},
        capture_output=True,
        text=True,
        check=True,
    )
    options = json.loads(result.stdout)["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["init_command"] == (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000"
    )


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's settings")
def test_the_sqlite_connection_waits_for_the_write_lock():
    with connection.cursor() as cursor:
        assert cursor.execute("PRAGMA busy_timeout").fetchone()[0] == settings.DB_LOCK_TIMEOUT_MS
    assert connection.transaction_mode == "IMMEDIATE"


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's settings")
def test_the_postgresql_connection_has_a_lock_timeout():
    with connection.cursor() as cursor:
        cursor.execute("SELECT setting, unit FROM pg_settings WHERE name = 'lock_timeout'")
        assert cursor.fetchone() == (str(settings.DB_LOCK_TIMEOUT_MS), "ms")


def test_several_writers_share_one_sqlite_file_without_database_is_locked(tmp_path):
    # A file database, as `make serve`'s workers share one (the test database is in memory).
    result = subprocess.run(
        [sys.executable, "-m", "tests.writers", str(tmp_path / "db.sqlite3")],
        cwd=ROOT,
        env=clean_environment(),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["pragmas"] == {"journal_mode": "wal", "synchronous": 1, "busy_timeout": 5000}
    assert report["transaction_mode"] == "IMMEDIATE"
    assert report["errors"] == []
    assert report["accepted"] > 0
    assert report["events_written"] == report["accepted"]
    assert report["chain"] == "intact"

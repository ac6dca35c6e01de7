"""bench/load.py, briefly: a few seconds of a small team (and of the contention mode) against
`make serve` on SQLite, which must end with no error, one audit event per accepted action and
the chain intact; and the bounds it keeps."""

import argparse
import subprocess
import sys

import pytest

from tests.conftest import ROOT, bench_module

pytestmark = pytest.mark.serve

LOAD = ROOT / "bench" / "load.py"


def bench(served, *args):
    return subprocess.run(
        [sys.executable, str(LOAD), "--url", served.server.url, *args],
        cwd=ROOT,
        env=served.env,
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )


def kinds(output: str) -> set[str]:
    """The kinds of request in the table (the lines with a count after the name)."""
    return {line[:28].strip() for line in output.splitlines() if line[28:35].strip().isdigit()}


def test_a_short_run_has_no_error_and_one_audit_event_per_accepted_action(served):
    result = bench(served, "--duration", "3", "--moderators", "3", "--comments", "120")

    assert result.returncode == 0, result.stdout + result.stderr
    assert {"queue", "decide", "tag", "baseline: queue", "baseline: admin changelist"} <= kinds(
        result.stdout
    ), result.stdout
    assert "errors by status: none" in result.stdout
    assert "our queue / Django admin changelist of comments: p50 " in result.stdout
    assert ": one each; verify_audit: " in result.stdout
    assert result.stdout.rstrip().endswith("chain intact")


def test_the_contention_mode_puts_the_team_on_six_comments(served):
    result = bench(served, "--contention", "--moderators", "8", "--duration", "2", "--no-baseline")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "8 moderators on 6 comments (contention)" in result.stdout
    assert {"thread", "decide", "tag"} <= kinds(result.stdout), result.stdout
    assert "errors by status: none" in result.stdout
    assert ": one each; verify_audit: " in result.stdout


def test_it_only_loads_the_loopback():
    result = subprocess.run(
        [sys.executable, str(LOAD), "--url", "http://example.org:8000", "--duration", "1"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "--url must be a loopback address" in result.stderr


@pytest.mark.parametrize(
    "argv", [["--moderators", "101"], ["--duration", "601"], ["--mix", "queue=1,panic=2"]]
)
def test_it_keeps_its_bounds(argv):
    with pytest.raises(SystemExit):
        bench_module("load").arguments(["--url", "http://127.0.0.1:1", *argv])


def test_the_mix_reads_kind_equals_weight():
    load = bench_module("load")
    assert load.parse_mix("queue=3,tag=1") == {"queue": 3, "tag": 1}
    with pytest.raises(argparse.ArgumentTypeError):
        load.parse_mix("queue=often")

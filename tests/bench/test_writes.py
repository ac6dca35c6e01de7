"""bench/writes.py, briefly, on a SQLite file: it runs, and the chain it leaves verifies."""

import subprocess
import sys

from tests.conftest import ROOT, clean_environment


def test_a_short_run_prints_the_head_figures_and_the_chain_holds(tmp_path):
    result = subprocess.run(
        [sys.executable, "bench/writes.py", "--seconds", "0.5", "--writers", "1,2"],
        cwd=ROOT,
        env={**clean_environment(), "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    rows = [
        line.split() for line in result.stdout.splitlines() if line.split()[:1] in (["1"], ["2"])
    ]
    assert [row[0] for row in rows] == ["1", "2"]
    assert all(float(row[1]) > 0 for row in rows)
    assert result.stdout.rstrip().endswith("chain intact")

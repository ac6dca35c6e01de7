"""bench/export.py, briefly: a tiny corpus, one round of ours and dumpdata, the memory runs.
(The figures themselves are for people to read: see the bench's docstring.)"""

import subprocess
import sys

from tests.conftest import ROOT, clean_environment


def test_a_tiny_run_prints_both_commands_and_the_memory_figures(tmp_path):
    # A fresh environment: the bench makes its own database, whatever the suite runs on.
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "export.py"), "--comments", "300", "--rounds", "1"],
        cwd=tmp_path,
        env={**clean_environment(), "TMPDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "speed: 300 comments" in out
    for name in ("ours", "dumpdata"):
        assert f"median {name}" in out
        assert f"round 1  {name}" in out
    assert "ratio dumpdata / ours: " in out
    assert "issue 9 bar" in out
    small, large = (line for line in out.splitlines() if line.startswith(("small ", "large ")))
    assert "30 rows" in small
    assert "300 rows" in large
    assert "tracemalloc peak ratio large/small" in out
    assert list(tmp_path.iterdir()) == []  # its temporary database is gone

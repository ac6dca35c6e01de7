"""bench/export.py, briefly: a tiny corpus, one round of ours and dumpdata, the memory runs.
(The figures themselves are for people to read: see the bench's docstring.)"""

from tests.conftest import run_bench


def test_a_tiny_run_prints_both_commands_and_the_memory_figures(tmp_path):
    result = run_bench("export", "--comments", "300", "--rounds", "1", cwd=tmp_path)
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

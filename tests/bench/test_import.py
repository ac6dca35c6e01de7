"""bench/import.py, briefly: tiny exports on SQLite, one round of every run, the memory runs
and the targets (not judged at this size). The figures are for people to read: see the
bench's docstring."""

from tests.conftest import run_bench


def test_a_tiny_run_prints_every_run_the_ratios_and_the_memory_figures(tmp_path):
    result = run_bench(
        "import", "--comments", "300", "--rounds", "1", "--memory-mb", "0.2,0.4",
        cwd=tmp_path, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "300 comments, 1 round(s), medians" in out
    for name in ("loaddata", "import plain", "re-import", "import HTML", "bleach raw"):
        assert f"round 1  {name}" in out, name
        assert f"  {name}" in out.split("medians:")[1], name
    assert "rows/s" in out
    for target in ("import plain: ", "re-import: ", "import HTML: "):
        line = next(line for line in out.splitlines() if line.startswith(f"  {target}"))
        assert "not judged below 50,000 comments" in line
    memory = out.split("memory:")[1].splitlines()
    assert sum("comments" in line and "peak RSS" in line for line in memory) == 2
    assert "peak RSS ratio largest/smallest file" in out
    assert list(tmp_path.iterdir()) == []  # its files and database are gone

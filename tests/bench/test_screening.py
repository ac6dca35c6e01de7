"""bench/screening.py, briefly: a few hundred texts and a tiny import on SQLite, one round:
every source's rate, the import both ways, the targets (the import's not judged at this
size)."""

from tests.conftest import run_bench


def test_a_tiny_run_prints_every_rate_the_import_and_the_targets(tmp_path):
    result = run_bench(
        "screening", "--texts", "400", "--comments", "300", "--rounds", "1",
        cwd=tmp_path, timeout=300,
    )  # fmt: skip
    out = result.stdout
    assert result.returncode in (0, 1), out + result.stderr  # 1: a target missed here
    medians = out.split("medians (comments per second, one core):")[1]
    for name in ("word lists", "profanity model", "personal-attack rule", "learned model"):
        assert f"  {name}" in medians, name
    assert "  combined" in medians
    assert "import with screening" in out
    assert "import without" in out
    assert "combined scoring:" in out
    assert "not judged below 50,000 comments" in out
    assert list(tmp_path.iterdir()) == []  # its files and database are gone

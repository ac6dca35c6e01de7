"""bench/pages.py runs: a tiny corpus on SQLite, one round, every page beside its admin
equivalent. (The figures themselves are for people to read: see the bench's docstring.)"""

from tests.conftest import run_bench

PAGES = [
    "queue: pending, oldest", "queue: pending, newest", "queue: approved", "queue: removed",
    "queue: escalated", "queue: all", "queue: deep", "queue: last page", "queue: site",
    "queue: category", "queue: moderator", "queue: commenter", "queue: article",
    "queue: text", "thread (longest)", "public preview (longest)", "audit: first page",
    "audit: deep", "export page", "commenter (most prolific)",
]  # fmt: skip


def test_the_pages_bench_runs_on_a_tiny_corpus(tmp_path):
    result = run_bench("pages", "--comments", "200", "--rounds", "1", cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    table = result.stdout.split("ours/admin", 1)[1]
    rows = {line.split("  ")[0]: line for line in table.splitlines() if "│" in line}
    for name in PAGES:
        row = next(line for page, line in rows.items() if page.startswith(name))
        assert row.count("│") == 2, row
    assert rows["thread (longest)"].endswith("n/a")
    assert not rows["queue: all"].endswith("n/a")
    assert "200 comments on 20 sites" in result.stdout
    assert list(tmp_path.iterdir()) == []  # its temporary database is gone

"""bench/reviews.py runs: a tiny corpus on SQLite, its designed overlap built, one round of
every review page beside its admin equivalent. (The figures are for people to read: see the
bench's docstring.)"""

from tests.conftest import run_bench

PAGES = [
    "stream", "stream: site", "review a comment", "stream, busiest", "stream: site, busiest",
    "review a comment, busiest", "quality", "quality: site", "adjudication",
    "adjudication: site", "gold items", "plans", "export page (refresh)", "export page (cached)",
]  # fmt: skip


def test_the_reviews_bench_runs_on_a_tiny_corpus(tmp_path):
    result = run_bench("reviews", "--comments", "1000", "--rounds", "1", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    built = out.split("designed overlap built in", 1)[1].split("\nmoderator: ", 1)[0]
    made = dict(line.strip().rsplit(maxsplit=1) for line in built.splitlines()[1:])
    assert made["plans"] == "20"
    for what in ["samples", "second reviews", "gold items", "gold reviews"]:
        assert int(made[what].replace(",", "")) > 0, what
    table = out.split("ours/admin", 1)[1].split("\naddresses", 1)[0]
    rows = {line.split("  ")[0]: line for line in table.splitlines() if "│" in line}
    assert sorted(rows) == sorted(PAGES)
    assert all(row.count("│") == 2 for row in rows.values())
    assert not rows["stream"].endswith("n/a")
    assert rows["export page (cached)"].endswith("n/a")
    assert list(tmp_path.iterdir()) == []  # its temporary database is gone

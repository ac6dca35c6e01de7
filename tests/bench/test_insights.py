"""bench/insights.py runs: a tiny corpus on SQLite, one round of the page and of each figure
beside its plain-query baseline, in every range, the two giving the same figures, then the
recount. (The timings are for people to read: see the bench's docstring.)"""

from bench.insights import FIGURES
from tests.conftest import run_bench


def test_the_insights_bench_runs_on_a_tiny_corpus(tmp_path):
    result = run_bench("insights", "--comments", "500", "--rounds", "1", cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "corpus: 500 comments on 20 sites, " in out
    tables = out.split("ours/plain  same\n")[1:]
    assert len(tables) == 3  # the default range, one site, 52 weeks
    for table in tables:
        lines = table.split("\n\n", 1)[0].splitlines()[1:]  # under the rule
        rows = {line[:24].strip(): line for line in lines if "│" in line}
        assert list(rows) == ["GET /insights/ (Admin)", "every figure", *FIGURES]
        assert all(row.count("│") == 2 for row in rows.values())
        assert rows["GET /insights/ (Admin)"].rstrip().endswith("n/a")
        for name in ["every figure", *FIGURES]:
            assert rows[name].endswith(" yes"), rows[name]  # the baseline's figures are ours
    assert "52 weeks: every site, " in out
    assert "recount_insights --dry-run: " in out
    assert "Every insight roll-up is right." in out
    assert list(tmp_path.iterdir()) == []  # its temporary database is gone

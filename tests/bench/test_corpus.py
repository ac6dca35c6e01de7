"""bench/corpus.py runs: a tiny corpus on SQLite, one round, every phase and the floor
printed, its temporary databases gone. (The figures are for people to read.)"""

from tests.conftest import run_bench


def test_the_corpus_bench_runs_on_a_tiny_corpus(tmp_path):
    result = run_bench("corpus", "--comments", "300", "--rounds", "1", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "300 comments, 1 round (medians)" in out
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.startswith("  ")}
    for phase in ["whole", "setup", "generate", "insert", "indexes", "audit", "commit"]:
        assert float(rows[phase][0]) >= 0, phase
    assert float(rows["whole"][1].replace(",", "")) > 0  # comments/s
    assert "floor: plain executemany of the same comment rows (300)" in out
    assert list(tmp_path.iterdir()) == []  # its temporary databases are gone

"""bench/bootstrap.py, briefly: a thousand comments, one round: every coders setting, the
accumulation line and the page estimate."""

from tests.conftest import run_bench


def test_a_tiny_run_prints_every_setting_the_accumulation_and_a_page(tmp_path):
    result = run_bench("bootstrap", "--units", "1000", "--rounds", "1", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "1000 draws per figure" in out
    rows = [line.split() for line in out.splitlines() if line.lstrip().startswith("1,000 ")]
    assert [row[1] for row in rows] == ["2", "3", "4", "2-4"]
    assert "Alpha.add" in out
    assert "Kappa.add" in out
    assert "an export page" in out

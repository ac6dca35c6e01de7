"""moderation/export/recompute.py, the script a bundle ships as agreement.py: run on its own
(a fresh Python, no Django, no project on the path) over labels.csv and comments.csv, it prints
the figures moderation.agreement computes for the same comments."""

import ast
import csv
import io
import json
import random
import shutil
import subprocess
import sys
import zipfile
from collections import defaultdict
from pathlib import Path

import pytest

from moderation.agreement import Agreement, Alpha
from moderation.export import LABEL_COLUMN_NAMES, recompute, write_csv
from tests.conftest import clean_environment
from tests.moderation.export_helpers import BUNDLE, content

SCRIPT = Path(recompute.__file__)
SITES = {"Asbarez": ["personal-attack", "profanity"], "=Daily": ["spam"]}  # "=": guarded in CSV
MODERATORS = ["m-0a1b", "m-2c3d", "m-4e5f", "-dash"]


def run_script(directory: Path, *args: str) -> subprocess.CompletedProcess:
    """The script as a researcher runs it: agreement.py beside the files, `python -I` (no
    PYTHONPATH, no user site, not even the script's folder on the path)."""
    shutil.copy(SCRIPT, directory / "agreement.py")
    return subprocess.run(
        [sys.executable, "-I", "agreement.py", *args, "."],
        cwd=directory,
        env=clean_environment(),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def figures_of(directory: Path) -> dict:
    result = run_script(directory, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def write_bundle(directory: Path, comments: int, seed: int, *, sample_column: bool = True):
    """labels.csv and comments.csv as the export writes them (write_csv: formula guard,
    booleans), for `comments` comments reviewed by 1 to 4 moderators who mostly agree; about
    a third carry a sample reason, and of those the first two reviewers' labels are the
    designed ones (a third reviewer saw their work: `designed_label` null). Returns {comment id:
    labels[(site, category)][moderator]}, the sampled ids, and each sampled comment's
    designed reviewers."""
    rng = random.Random(seed)
    by_comment, sampled, label_rows, comment_rows = {}, set(), [], []
    designated = {}
    for comment_id in range(1, comments + 1):
        site = rng.choice(sorted(SITES))
        reviewers = rng.sample(MODERATORS, rng.choice([1, 2, 2, 3, 4]))
        reason = rng.choice(["share", "gold", None, None, None, None])
        designated[comment_id] = set(reviewers[:2]) if reason else set()
        labels = defaultdict(dict)
        for category in SITES[site]:
            truth = int(rng.random() < 0.3)
            for moderator in reviewers:
                if rng.random() < 0.1:
                    continue  # a category this moderator did not have
                label = truth if rng.random() < 0.8 else 1 - truth
                labels[site, category][moderator] = label
                label_rows.append(
                    {
                        "comment_id": comment_id,
                        "site": site,
                        "category": category,
                        "moderator": moderator,
                        "label": label,
                        "basis": "tag" if label else "reviewed",
                        "labelled_at": "2026-11-20T10:00:00Z",
                        "policy_version": 1,
                        "retracted": False,
                        "retracted_at": None,
                        "designed_label": label if moderator in designated[comment_id] else None,
                    }
                )
        by_comment[comment_id] = dict(labels)
        reason = reason if labels else None
        if reason:
            sampled.add(comment_id)
        comment_rows.append(
            {"comment_id": comment_id, "site": site, "text": "=1+1 said", "sample": reason}
        )
    (directory / "labels.csv").write_bytes(b"".join(write_csv(LABEL_COLUMN_NAMES, [label_rows])))
    columns = ["comment_id", "site", "text"] + (["sample"] if sample_column else [])
    (directory / "comments.csv").write_bytes(b"".join(write_csv(columns, [comment_rows])))
    return by_comment, sampled, designated


def in_process(by_comment: dict, sampled: set, designated: dict) -> tuple[dict, dict, dict]:
    """What moderation.agreement gives for the same comments: alphas, kappas, and alphas on
    the sampled comments' designed labels."""
    agreement, designed = Agreement(), defaultdict(Alpha)
    for comment_id, labels in by_comment.items():
        agreement.add(labels)
        if comment_id in sampled:
            for category, by_moderator in labels.items():
                independent = [v for m, v in by_moderator.items() if m in designated[comment_id]]
                designed[category].add(independent)
    return agreement.alphas(), agreement.kappas(), designed


def test_the_script_needs_only_python_and_numpy():
    tree = ast.parse(SCRIPT.read_text(), feature_version=(3, 9))
    imported = {
        name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for name in (
            [alias.name for alias in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
        )
    }
    assert imported - set(sys.stdlib_module_names) == {"numpy"}


def test_the_script_prints_what_agreement_computes(tmp_path):
    by_comment, sampled, designated = write_bundle(tmp_path, 400, seed=1)
    alphas, kappas, designed = in_process(by_comment, sampled, designated)
    printed = figures_of(tmp_path)

    assert printed["method"]["seed"] == recompute.BOOTSTRAP_SEED
    assert printed["method"]["draws"] == recompute.BOOTSTRAP_DRAWS
    assert [(row["site"], row["category"]) for row in printed["alpha"]] == sorted(alphas)
    for row in printed["alpha"]:
        category = row["site"], row["category"]
        assert row["alpha"] == alphas[category].as_dict()
        assert row["alpha_designed"] == designed[category].result().as_dict()
        assert 0 < row["alpha_designed"]["items"] < row["alpha"]["items"]
        assert row["alpha"]["low"] <= row["alpha"]["value"] <= row["alpha"]["high"]
    assert len(printed["kappa"]) == len(kappas) == 3 * 6  # 3 categories, 6 pairs of 4
    for row in printed["kappa"]:
        key = (row["site"], row["category"]), row["moderator_a"], row["moderator_b"]
        assert row["kappa"] == kappas[key].as_dict()
    assert {row["site"] for row in printed["alpha"]} == {"Asbarez", "=Daily"}  # unguarded
    assert "-dash" in {row["moderator_a"] for row in printed["kappa"]}


def test_labels_in_another_order_give_the_same_figures(tmp_path):
    write_bundle(tmp_path, 150, seed=2)
    ordered = figures_of(tmp_path)
    with (tmp_path / "labels.csv").open(newline="") as file:
        header, *rows = list(csv.reader(file))
    random.Random(0).shuffle(rows)
    with (tmp_path / "labels.csv").open("w", newline="") as file:
        csv.writer(file).writerows([header, *rows])
    assert figures_of(tmp_path) == ordered


@pytest.mark.parametrize("missing", ["column", "file"])
def test_without_sample_reasons_the_designed_overlap_is_empty(tmp_path, missing):
    write_bundle(tmp_path, 60, seed=3, sample_column=False)
    if missing == "file":
        (tmp_path / "comments.csv").unlink()
    for row in figures_of(tmp_path)["alpha"]:
        assert row["alpha_designed"]["items"] == 0
        assert row["alpha_designed"]["reason"] == recompute.NO_DESIGNED
        assert row["alpha"]["items"] > 0


def test_the_text_report_names_the_method_and_marks_small_figures(tmp_path):
    write_bundle(tmp_path, 60, seed=4)
    result = run_script(tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"{recompute.BOOTSTRAP_DRAWS} draws, seed {recompute.BOOTSTRAP_SEED}" in out
    assert "Krippendorff's alpha" in out
    assert "Cohen's kappa" in out
    assert "=Daily" in out
    assert "too few to cite" in out  # 60 comments over 3 categories and 6 pairs


def test_two_dated_labels_files_are_refused(tmp_path):
    write_bundle(tmp_path, 10, seed=5)
    for day in ("2026-11-27", "2026-11-28"):
        shutil.copy(tmp_path / "labels.csv", tmp_path / f"labels-{day}.csv")
    (tmp_path / "labels.csv").unlink()
    result = run_script(tmp_path)
    assert result.returncode == 1
    assert "several labels files" in result.stderr


def test_a_folder_without_labels_is_refused(tmp_path):
    result = run_script(tmp_path)
    assert result.returncode == 2
    assert "no labels.csv" in result.stderr


@pytest.mark.django_db
@pytest.mark.usefixtures("pseudonym_key")
def test_in_an_unzipped_bundle_the_script_recomputes_its_codebooks_figures(
    researcher_client, tagged, tmp_path
):
    zipfile.ZipFile(io.BytesIO(content(researcher_client.get(BUNDLE)))).extractall(tmp_path)
    (codebook,) = tmp_path.glob("codebook-*.json")  # labels-DATE.csv, comments-DATE.csv beside
    agreement = json.loads(codebook.read_text())["agreement"]
    printed = figures_of(tmp_path)
    alphas = {row["category"]: row["alpha"] for row in agreement["alpha"]}
    assert printed["alpha"]
    for row in printed["alpha"]:
        assert row["alpha"] == alphas[row["category"]]
    # The dashboard orders a pair by moderator id, the script by pseudonym: same figures.
    kappas = {(r["category"], r["moderator_a"], r["moderator_b"]): r for r in agreement["kappa"]}
    assert len(printed["kappa"]) == len(kappas) > 0
    for row in printed["kappa"]:
        key = row["category"], row["moderator_a"], row["moderator_b"]
        assert row["kappa"] == kappas[key]["kappa"]

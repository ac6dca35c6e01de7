"""Benchmark screening (issue 13): comments scored per second by each source and combined,
on one core, and what screening adds to an import.

    .venv/bin/python bench/screening.py [--texts 20000] [--comments 100000] [--rounds 3]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/NAME .venv/bin/python bench/screening.py

1. Scoring, in this process (one core; numpy and scikit-learn limited to one thread):
   `--texts` comments written by the corpus generator (moderation.corpus.text: news-site
   discussion, 10 % carrying a profanity, a personal attack, spam or a threat), scored by
   each source as a batch of 2,000 is scored when stored: the seed word lists, the profanity
   model, the personal-attack rule, a learned model (trained here on 4,000 labelled comments
   of the same generator), and combined (`scoring._site_scores` for a site with a learned
   model of personal attacks and the other sources for the rest: what an import runs,
   database writes aside). `--rounds` interleaved rounds; medians.
2. An import of `--comments` comments (bench/import.py's plain WordPress export, in a fresh
   process each, into a fresh database): with screening (`DJANGO_SCREENING=true`, the
   default) and without, interleaved; medians and the added share.

Targets: combined >= 5,000 comments/s on one core; screening adds at most 25 % to an import
(judged from 50,000 comments). Exit status 1 when one judged is missed.
"""

import argparse
import os
import random
import runpy
import statistics
import sys
import tempfile
import time
from pathlib import Path

# One core: the figures are per core, whatever BLAS would spread over.
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
IMPORT_BENCH = runpy.run_path(str(ROOT / "bench" / "import.py"))

COMBINED_TARGET = 5_000
IMPORT_TARGET = 0.25
JUDGED_FROM = 50_000
BATCH = 2_000


def setup_django(database_url: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "moderation.settings")
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_DEBUG", "false")
    os.environ.setdefault("DJANGO_SECRET_KEY", IMPORT_BENCH["BENCH_SECRET"])
    import django

    django.setup()


def texts_of(count: int, seed: int) -> tuple[list[str], list[str | None]]:
    """Comments of the corpus generator, and the violation each carries (None: none)."""
    from moderation.corpus.text import Writer

    rng = random.Random(seed)
    writer = Writer(rng, paragraphs=2_000)
    kinds = ["profanity", "personal-attack", "other-inappropriate"]
    texts, violations = [], []
    for _ in range(count):
        violation = rng.choice(kinds) if rng.random() < 0.1 else None
        texts.append(writer.body(rng, violation=violation).text)
        violations.append(violation)
    return texts, violations


def trained_model(seed: int):
    """A learned model of personal attacks, fitted on 4,000 generated comments (a third of
    them attacks), as moderation.screening.training fits a site's."""
    from moderation.screening import training

    texts, violations = texts_of(4_000, seed + 1)
    rng = random.Random(seed)
    from moderation.corpus.text import Writer

    writer = Writer(rng, paragraphs=2_000)
    attacks = [writer.body(rng, violation="personal-attack").text for _ in range(1_000)]
    labels = [int(v == "personal-attack") for v in violations] + [1] * len(attacks)
    return training.pipeline().fit(texts + attacks, labels)


def timed(function, texts: list[str]) -> float:
    """Seconds to run `function` over `texts` in batches of BATCH."""
    started = time.perf_counter()
    for i in range(0, len(texts), BATCH):
        function(texts[i : i + BATCH])
    return time.perf_counter() - started


def scoring_rates(texts: list[str], rounds: int, seed: int) -> dict[str, list[float]]:
    from moderation.screening import scoring, sources
    from moderation.screening.seeds import default_terms
    from moderation.screening.words import Matcher, Term

    matcher = Matcher([Term(*t) for t in default_terms()])
    insults = sources.insults_of(default_terms())
    model = trained_model(seed)
    model_id = -1  # a model in memory, as `sources` keeps a site's once read
    sources._pipeline.cache_clear()
    sources.out_of_fold.cache_clear()
    original_pipeline, original_oof = sources._pipeline, sources.out_of_fold
    sources._pipeline = lambda _id: model
    sources.out_of_fold = lambda _id: {}
    original_matcher, original_models = scoring.matcher_for, scoring.models_for
    original_list = scoring.current_list
    scoring.matcher_for = lambda _site: (0, matcher)
    scoring.current_list = lambda _site: (0, default_terms())
    scoring.models_for = lambda _site: {2: (model_id, 1)}
    categories = {(1, "profanity"): 1, (1, "personal-attack"): 2, (1, "other-inappropriate"): 3}
    try:
        runs = {
            "word lists": lambda batch: [matcher.find(t) for t in batch],
            "profanity model": sources.profanity_scores,
            "personal-attack rule": lambda batch: sources.baseline_attack_scores(batch, insults),
            "learned model": lambda batch: sources.model_scores(
                model_id, list(range(len(batch))), batch
            ),
            "combined": lambda batch: scoring._site_scores(1, list(enumerate(batch)), categories),
        }
        for function in runs.values():  # warm-up: models loaded, regexes compiled
            function(texts[:200])
        rates: dict[str, list[float]] = {name: [] for name in runs}
        for r in range(rounds):
            order = list(runs) if r % 2 == 0 else list(reversed(runs))
            for name in order:
                seconds = timed(runs[name], texts)
                rates[name].append(len(texts) / seconds)
                print(f"  round {r + 1}  {name:<22} {len(texts) / seconds:>10,.0f} comments/s")
        return rates
    finally:
        sources._pipeline, sources.out_of_fold = original_pipeline, original_oof
        scoring.matcher_for, scoring.models_for = original_matcher, original_models
        scoring.current_list = original_list


def import_runs(comments: int, rounds: int, seed: int, database_url: str | None) -> dict:
    """Median seconds of `import_wxr` with screening and without (fresh process and database
    each, interleaved)."""
    workdir = Path(tempfile.mkdtemp(prefix="screening-bench-"))
    database = (
        IMPORT_BENCH["PostgreSQL"](database_url)
        if database_url and database_url.startswith("postgres")
        else IMPORT_BENCH["SQLite"](workdir)
    )
    export = workdir / "plain.xml"
    try:
        IMPORT_BENCH["write_export"](export, comments, html=False, seed=seed)
        database.prepare()
        times: dict[str, list[float]] = {"with screening": [], "without": []}
        run_globals = IMPORT_BENCH["run"].__globals__
        environment = run_globals["manage_environment"]
        for r in range(rounds):
            order = ["with screening", "without"] if r % 2 == 0 else ["without", "with screening"]
            for name in order:
                url = database.fresh()
                flag = "true" if name == "with screening" else "false"
                # bench/import.py's runs take their environment from its manage_environment
                # (DJANGO_* dropped): this run's switch is added to it.
                run_globals["manage_environment"] = lambda database_url, flag=flag: {
                    **environment(database_url),
                    "DJANGO_SCREENING": flag,
                }
                try:
                    result = IMPORT_BENCH["run"](["--manage", "import_wxr", str(export)], url)
                finally:
                    run_globals["manage_environment"] = environment
                times[name].append(result["seconds"])
                print(f"  round {r + 1}  import {name:<16} {result['seconds']:>8.2f} s")
        return times
    finally:
        database.close()
        for path in workdir.iterdir():
            path.unlink()
        workdir.rmdir()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--texts", type=int, default=20_000)
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL")
    scratch = Path(tempfile.mkdtemp(prefix="screening-setup-")) / "setup.sqlite3"
    setup_django(f"sqlite:///{scratch}")  # the scoring needs no rows: nothing is written
    print(f"screening: {args.texts:,} comments scored, {args.rounds} round(s), one core")
    texts, _ = texts_of(args.texts, args.seed)
    rates = scoring_rates(texts, args.rounds, args.seed)
    print("medians (comments per second, one core):")
    for name, values in rates.items():
        print(f"  {name:<22} {statistics.median(values):>10,.0f}")
    print(f"import: {args.comments:,} comments, {args.rounds} round(s)")
    times = import_runs(args.comments, args.rounds, args.seed, database_url)
    with_, without = (statistics.median(times[k]) for k in ("with screening", "without"))
    added = with_ / without - 1
    print("medians:")
    print(f"  import with screening  {with_:>8.2f} s")
    print(f"  import without         {without:>8.2f} s")
    print(f"  added by screening     {added:>8.1%}")
    failed = False
    combined = statistics.median(rates["combined"])
    ok = combined >= COMBINED_TARGET
    failed |= not ok
    print("targets:")
    print(
        f"  combined scoring: {combined:,.0f} comments/s >= {COMBINED_TARGET:,}: "
        f"{'met' if ok else 'MISSED'}"
    )
    if args.comments >= JUDGED_FROM:
        ok = added <= IMPORT_TARGET
        failed |= not ok
        verdict = "met" if ok else "MISSED"
    else:
        verdict = f"not judged below {JUDGED_FROM:,} comments"
    print(f"  added to an import: {added:.1%} <= {IMPORT_TARGET:.0%}: {verdict}")
    scratch.unlink(missing_ok=True)
    scratch.parent.rmdir()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

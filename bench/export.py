"""Benchmark the JSONL comment export: rows per second and peak memory, 10k vs 100k comments.

    .venv/bin/python bench/export.py [--comments 100000] [--small 10000]

Builds a throw-away SQLite database in a temporary directory (migrated, then filled with
bulk inserts: fine for a benchmark, never in product code), with two sites: "Small" holding
--small comments and "Large" the rest, about 60% of them reviewed by one to three of four
moderators (tags, some on passages, some retracted; decisions, removals with reasons). Then
exports Small's comments and all comments through the product's streaming path
(`moderation.export.Export.stream("comments", "jsonl")`), discarding the bytes, and prints:

* rows per second, without tracing;
* the peak RSS growth of the export phase (Linux: VmHWM, reset before each export) and the
  process's peak RSS;
* the tracemalloc peak of the export phase (a separate, traced run);
* for both memory figures, the ratio large / small, which must stay within 1.2, and whether
  the peak stays under 150 MB.

Debug is on for setup (the settings need it without a secret key) and off for the exports,
so Django keeps no query log: as in production.
"""

import argparse
import gc
import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIMIT_MB = 150
RATIO_LIMIT = 1.2
SENTENCE = (
    "the budget debate minister parliament vote tax people government article you are wrong "
    "right idiot fool agree disagree school roads hospital election money history news thanks"
)
WORDS = SENTENCE.split()


def setup_django(directory: Path, *, migrate: bool = True):
    os.environ["DATABASE_URL"] = f"sqlite:///{directory / 'bench.sqlite3'}"
    os.environ["DJANGO_DEBUG"] = "true"
    os.environ["DJANGO_SETTINGS_MODULE"] = "moderation.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def generate(small: int, total: int, seed: int = 5):
    """Bulk-insert the archive and the moderation rows; returns the Small site."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from archive.models import Article, Comment, Commenter, Site
    from moderation.models import Category, Policy

    rng = random.Random(seed)
    now = timezone.now()
    User = get_user_model()
    moderators = [User.objects.create(username=f"bench-moderator-{i}") for i in range(4)]
    sites = {
        "Small": (Site.objects.create(name="Small"), small),
        "Large": (Site.objects.create(name="Large"), total - small),
    }
    with transaction.atomic():
        for site, count in sites.values():
            categories = list(Category.objects.filter(site=site).order_by("order"))
            policy = Policy.objects.get(site=site)
            articles = Article.objects.bulk_create(
                Article(site=site, title=f"Article {i}", source="page", source_key=f"a{i}")
                for i in range(max(1, count // 100))
            )
            commenters = Commenter.objects.bulk_create(
                Commenter(site=site, name=f"Reader {i}") for i in range(max(1, count // 20))
            )
            made = 0
            while made < count:
                batch = []
                for i in range(made, min(count, made + 5000)):
                    text = " ".join(rng.choices(WORDS, k=rng.randint(8, 60))).capitalize() + "."
                    batch.append(
                        Comment(
                            article=articles[i % len(articles)],
                            commenter=rng.choice(commenters) if rng.random() < 0.9 else None,
                            position=str(i // len(articles) + 1),
                            thread_order=i // len(articles),
                            posted_at=now - timedelta(minutes=i),
                            body_text=text,
                            body_html=f"<p>{text}</p>",
                            source="page",
                            source_key=f"c{i}",
                        )
                    )
                comments = Comment.objects.bulk_create(batch)
                review(rng, comments, moderators, categories, policy, now)
                made += len(batch)
    return sites["Small"][0]


def review(rng, comments, moderators, categories, policy, now):
    from moderation.models import Decision, ModerationState, Status, Tag

    tags, decisions, reasons = [], [], []
    for comment in comments:
        if rng.random() > 0.6:
            continue
        reviewers = rng.sample(moderators, rng.randint(1, 3))
        for moderator in reviewers:
            if rng.random() < 0.35:
                category = rng.choice(categories)
                span = None
                if rng.random() < 0.5 and len(comment.body_text) > 10:
                    start = rng.randrange(0, len(comment.body_text) - 5)
                    span = (start, start + 5)
                tags.append(
                    Tag(
                        comment=comment,
                        category=category,
                        moderator=moderator,
                        policy=policy,
                        span_start=span[0] if span else None,
                        span_end=span[1] if span else None,
                        quoted_text=comment.body_text[span[0] : span[1]] if span else "",
                        retracted_at=now if rng.random() < 0.05 else None,
                    )
                )
        status = Status.REMOVED if rng.random() < 0.2 else Status.APPROVED
        decision = Decision(
            comment=comment,
            status=status,
            previous_status=Status.PENDING,
            moderator=reviewers[0],
            version=1,
        )
        decisions.append(decision)
        if status == Status.REMOVED:
            reasons.append((decision, rng.choice(categories)))
    Tag.objects.bulk_create(tags)
    Decision.objects.bulk_create(decisions)
    Through = Decision.reasons.through
    Through.objects.bulk_create(Through(decision_id=d.pk, category_id=c.pk) for d, c in reasons)
    ModerationState.objects.bulk_create(
        ModerationState(comment_id=d.comment_id, status=d.status, version=1, decision=d)
        for d in decisions
    )


# Memory


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux 4.0+); False where that is not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def export(query: dict, *, traced: bool) -> dict:
    """Stream one JSONL comment export to nowhere; its rows, time and memory."""
    from moderation.export import Export

    gc.collect()
    prepared = Export.from_query(query)
    rss_measured = reset_peak_rss()
    rss_before = _status_kb("VmRSS")
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    rows = size = 0
    for chunk in prepared.stream("comments", "jsonl"):
        rows += chunk.count(b"\n")
        size += len(chunk)
    elapsed = time.perf_counter() - started
    result = {"rows": rows, "bytes": size, "seconds": elapsed}
    if traced:
        result["traced_peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    if rss_measured:
        result["rss_growth"] = (_status_kb("VmHWM") - rss_before) * 1024
        result["rss_peak"] = _status_kb("VmHWM") * 1024
    return result


def measure(directory: Path, query: dict, traced: bool) -> dict:
    """One export in a fresh process, so both sizes start from the same state."""
    command = [sys.executable, __file__, "--measure", str(directory), json.dumps(query)]
    if traced:
        command.append("--traced")
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    output = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
    return json.loads(output.stdout.splitlines()[-1])


def measure_here(directory: Path, query: dict, traced: bool):
    """The child's side of `measure`: warm up on one article, then export and report."""
    setup_django(directory, migrate=False)
    from django.conf import settings

    from archive.models import Article

    settings.DEBUG = False  # no query log while measuring, as in production
    export({**query, "article": str(Article.objects.order_by("pk").first().pk)}, traced=False)
    print(json.dumps(export(query, traced=traced)))


def mb(n: float) -> str:
    return f"{n / 2**20:.1f} MB"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")
    parser.add_argument("--measure", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure_here(Path(args.measure[0]), json.loads(args.measure[1]), args.traced)
        return 0

    directory = Path(tempfile.mkdtemp(prefix="export-bench-"))
    os.environ.setdefault("EXPORT_PSEUDONYM_KEY", secrets.token_hex(32))
    try:
        setup_django(directory)
        from archive.models import Comment
        from moderation.models import Decision, Tag

        started = time.perf_counter()
        small_site = generate(args.small, args.comments)
        print(
            f"generated {Comment.objects.count()} comments, {Tag.objects.count()} tags, "
            f"{Decision.objects.count()} decisions in {time.perf_counter() - started:.1f} s"
        )
        queries = {"small": {"site": str(small_site.pk)}, "large": {}}
        runs = {}
        for name, query in queries.items():
            runs[name] = measure(directory, query, traced=False)
            runs[name]["traced_peak"] = measure(directory, query, traced=True)["traced_peak"]
        for name, run in runs.items():
            line = (
                f"{name:5}  {run['rows']:>7} rows  {mb(run['bytes']):>9}  "
                f"{run['seconds']:6.2f} s  {run['rows'] / run['seconds']:>7.0f} rows/s  "
                f"tracemalloc peak {mb(run['traced_peak'])}"
            )
            if "rss_growth" in run:
                line += f"  RSS growth {mb(run['rss_growth'])}  peak RSS {mb(run['rss_peak'])}"
            print(line)
        failures = []
        small, large = runs["small"], runs["large"]
        traced = large["traced_peak"] / small["traced_peak"]
        print(f"tracemalloc peak ratio large/small: {traced:.2f} (limit {RATIO_LIMIT})")
        if traced > RATIO_LIMIT:
            failures.append("tracemalloc peak ratio")
        if large["traced_peak"] > LIMIT_MB * 2**20:
            failures.append(f"tracemalloc peak over {LIMIT_MB} MB")
        if "rss_growth" in large:
            rss = large["rss_growth"] / max(small["rss_growth"], 1)
            print(f"RSS growth ratio large/small: {rss:.2f} (limit {RATIO_LIMIT})")
            if rss > RATIO_LIMIT:
                failures.append("RSS growth ratio")
            if large["rss_peak"] > LIMIT_MB * 2**20:
                failures.append(f"peak RSS over {LIMIT_MB} MB")
        print("FAIL: " + ", ".join(failures) if failures else "OK: memory does not grow with rows")
        return 1 if failures else 0
    finally:
        if args.keep:
            print(f"kept {directory}")
        else:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

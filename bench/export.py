"""Benchmark the JSONL comment export beside Django's `dumpdata`: rows per second, and memory.

    .venv/bin/python bench/export.py [--comments 100000] [--db sqlite|postgres] [--rounds 3]

Builds a database of its own (a temporary SQLite file, or a PostgreSQL database it creates
and drops: `--pg-url`, `--pg-database`, as bench/pages.py does), migrates it and fills it
with `manage.py generate_corpus --comments N` (20 sites, 10 % of comments with tags or
decisions). Then:

1. **Speed, beside dumpdata.** `--rounds` interleaved rounds (the order alternates) of two
   commands over the whole database, each a fresh process with debug off, its output
   thrown away: ours, `manage.py export_comments --user corpus-researcher --format jsonl`
   (which also counts the rows and writes the audit event, as every export does), and the
   baseline, `manage.py dumpdata archive.comment`. Prints each run's wall time and rows
   per second, its CPU time (user + system) and rows per CPU-second (what other load on
   the machine changes least), and its peak RSS; the medians; the ratio of dumpdata's
   median times to ours; then whether issue 9's bar is met (at least 50,000 rows/s of
   wall time and 3 times dumpdata's speed).
2. **Memory.** The export of about `--small` comments (those posted up to a day; at most a
   tenth of the database: "small") and of all ("large") through the product's streaming
   path (`Export.stream("comments", "jsonl")`), each in a fresh process after a warm-up on
   one article, discarding the bytes: rows per second of the streaming alone, the peak
   RSS growth of the export phase (Linux: VmHWM, reset before the export) and the
   process's peak RSS, and the tracemalloc peak (a separate, traced run). For both memory
   figures, the ratio large / small, which must stay within 1.2, and whether the peak
   stays under 150 MB; the exit status is 1 when one does not. (Not judged when the small
   export holds under five chunks: memory then follows the rows.)

Debug is on for setup (the settings need it without a secret key) and off for every
measurement, so Django keeps no query log: as in production.
"""

import argparse
import base64
import gc
import json
import os
import runpy
import secrets
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.pages import create_database, database, drop_database  # noqa: E402

LIMIT_MB = 150
RATIO_LIMIT = 1.2
JUDGED_FROM = 5  # chunks in the small export, below which the memory ratios say nothing
GOAL_ROWS_PER_SECOND, GOAL_RATIO = 50_000, 3.0  # issue 9
RESEARCHER = "corpus-researcher"  # made by generate_corpus
PEAK_MARK = "bench-peak-rss-kb: "


def setup_django(database_url: str):
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_DEBUG"] = "true"
    os.environ["DJANGO_SETTINGS_MODULE"] = "moderation.settings"
    import django

    django.setup()


def build(args) -> None:
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"{database()}: migrated in {time.perf_counter() - started:.1f} s")
    call_command("generate_corpus", comments=args.comments, seed=args.seed)


# Speed: our command and dumpdata, each in a fresh process


def command_environment() -> dict:
    """Debug off (no query log), as a deployment runs its commands."""
    return {
        **os.environ,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_hex(32),
        # A deployment signs its audit history; a throw-away key for the bench's.
        "AUDIT_SIGNING_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "PYTHONHASHSEED": "0",
    }


def run_command(arguments: list[str]) -> dict:
    """`manage.py ARGUMENTS` in a fresh process, its standard output thrown away: wall and
    CPU time, and the peak RSS the process reports itself (`--manage`: the kernel's
    ru_maxrss of a child also counts the parent it was forked from)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, __file__, "--manage", *arguments],
        cwd=ROOT,
        env=command_environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    errors = process.stderr.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        sys.exit(f"manage.py {' '.join(arguments)} failed:\n{errors}")
    *errors, peak = errors.rstrip("\n").split("\n")
    return {
        "seconds": elapsed,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss_peak": int(peak.removeprefix(PEAK_MARK)) * 1024,
        "stderr": "\n".join(errors),
    }


def manage_here(arguments: list[str]) -> None:
    """The child's side of `run_command`: manage.py as run from a shell, then its peak RSS
    as the last line of standard error."""
    sys.argv = [str(ROOT / "manage.py"), *arguments]
    try:
        runpy.run_path(sys.argv[0], run_name="__main__")
    finally:
        sys.stderr.write(f"\n{PEAK_MARK}{_status_kb('VmHWM')}\n")


COMMANDS = {
    "ours": ["export_comments", "--user", RESEARCHER, "--format", "jsonl"],
    "dumpdata": ["dumpdata", "archive.comment"],
}


def compare(rows: int, rounds: int) -> dict:
    """`rounds` rounds of both commands, alternating which goes first; prints each run."""
    runs = {name: [] for name in COMMANDS}
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    print(
        f"\nspeed: {rows:,} comments, whole database, {rounds} interleaved rounds "
        f"({os.cpu_count()} CPUs, load average before: {load})"
    )
    for n in range(rounds):
        order = list(COMMANDS) if n % 2 == 0 else list(reversed(COMMANDS))
        for name in order:
            run = run_command(COMMANDS[name])
            if name == "ours" and f"Exported {rows} comments" not in run["stderr"]:
                sys.exit(f"export_comments did not export {rows} rows: {run['stderr']}")
            runs[name].append(run)
            print(
                f"  round {n + 1}  {name:8}  {run['seconds']:7.2f} s  "
                f"{rows / run['seconds']:>9,.0f} rows/s   CPU {run['cpu']:7.2f} s  "
                f"{rows / run['cpu']:>9,.0f} rows/CPU-s   peak RSS {mb(run['rss_peak'])}"
            )
    medians = {
        name: {key: statistics.median(r[key] for r in runs[name]) for key in ("seconds", "cpu")}
        for name in runs
    }
    for name in COMMANDS:
        median = medians[name]
        print(
            f"median {name:8}  {median['seconds']:7.2f} s  {rows / median['seconds']:>9,.0f} "
            f"rows/s   CPU {median['cpu']:7.2f} s  {rows / median['cpu']:>9,.0f} rows/CPU-s   "
            f"peak RSS {mb(max(r['rss_peak'] for r in runs[name]))}   "
            f"(manage.py {' '.join(COMMANDS[name])})"
        )
    ratio = medians["dumpdata"]["seconds"] / medians["ours"]["seconds"]
    cpu_ratio = medians["dumpdata"]["cpu"] / medians["ours"]["cpu"]
    print(f"ratio dumpdata / ours: {ratio:.2f}x (median wall times), {cpu_ratio:.2f}x (CPU)")
    speed = rows / medians["ours"]["seconds"]
    met = speed >= GOAL_ROWS_PER_SECOND and ratio >= GOAL_RATIO
    print(
        f"issue 9 bar (>= {GOAL_ROWS_PER_SECOND:,} rows/s and >= {GOAL_RATIO:.0f}x dumpdata): "
        + ("met" if met else "not met")
    )
    return {"rows_per_second": speed, "ratio": ratio}


# Memory: the streaming path, in a fresh process per export


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


def measure(database_url: str, query: dict, traced: bool) -> dict:
    """One export in a fresh process, so both sizes start from the same state."""
    command = [sys.executable, __file__, "--measure", database_url, json.dumps(query)]
    if traced:
        command.append("--traced")
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    output = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
    return json.loads(output.stdout.splitlines()[-1])


def measure_here(database_url: str, query: dict, traced: bool):
    """The child's side of `measure`: warm up on one article, then export and report."""
    setup_django(database_url)
    from django.conf import settings

    from archive.models import Article

    settings.DEBUG = False  # no query log while measuring, as in production
    export({**query, "article": str(Article.objects.order_by("pk").first().pk)}, traced=False)
    print(json.dumps(export(query, traced=traced)))


def small_query(small: int) -> dict:
    """A filter for about `small` comments (at most a tenth of the database): those posted
    up to the day the `small`-th comment was posted."""
    from archive.models import Comment

    total = Comment.objects.count()
    nth = max(1, min(small, total // 10))
    posted = Comment.objects.order_by("posted_at", "pk").values_list("posted_at", flat=True)
    day = posted[nth - 1]
    return {"posted_before": day.date().isoformat()}


def memory(database_url: str, small: int) -> list[str]:
    """Prints the memory figures; returns what failed."""
    from moderation.export import CHUNK

    queries = {"small": small_query(small), "large": {}}
    print(
        f"\nmemory: the streaming path, comments posted before {queries['small']['posted_before']}"
        " (small) and all (large)"
    )
    runs = {}
    for name, query in queries.items():
        runs[name] = measure(database_url, query, traced=False)
        runs[name]["traced_peak"] = measure(database_url, query, traced=True)["traced_peak"]
    for name, run in runs.items():
        line = (
            f"{name:5}  {run['rows']:>9,} rows  {mb(run['bytes']):>9}  "
            f"{run['seconds']:6.2f} s  {run['rows'] / run['seconds']:>9,.0f} rows/s  "
            f"tracemalloc peak {mb(run['traced_peak'])}"
        )
        if "rss_growth" in run:
            line += f"  RSS growth {mb(run['rss_growth'])}  peak RSS {mb(run['rss_peak'])}"
        print(line)
    failures = []
    small_run, large = runs["small"], runs["large"]
    traced = large["traced_peak"] / small_run["traced_peak"]
    print(f"tracemalloc peak ratio large/small: {traced:.2f} (limit {RATIO_LIMIT})")
    if traced > RATIO_LIMIT:
        failures.append("tracemalloc peak ratio")
    if large["traced_peak"] > LIMIT_MB * 2**20:
        failures.append(f"tracemalloc peak over {LIMIT_MB} MB")
    if "rss_growth" in large:
        rss = large["rss_growth"] / max(small_run["rss_growth"], 1)
        print(f"RSS growth ratio large/small: {rss:.2f} (limit {RATIO_LIMIT})")
        if rss > RATIO_LIMIT:
            failures.append("RSS growth ratio")
        if large["rss_peak"] > LIMIT_MB * 2**20:
            failures.append(f"peak RSS over {LIMIT_MB} MB")
    if small_run["rows"] < JUDGED_FROM * CHUNK:
        # Below a few chunks, memory follows the rows by design: nothing to judge.
        print(f"not judged: the small export holds under {JUDGED_FROM} chunks of {CHUNK:,} rows")
        return []
    print("FAIL: " + ", ".join(failures) if failures else "OK: memory does not grow with rows")
    return failures


def mb(n: float) -> str:
    return f"{n / 2**20:.1f} MB"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--small", type=int, default=10_000, help="comments in the small export")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of ours and dumpdata")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/")
    parser.add_argument("--pg-database", default=f"bench_export_{os.getpid()}")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument(
        "--database-url",
        help="measure this database (a generated corpus) instead of making one; it is kept",
    )
    parser.add_argument("--measure", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--manage", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.manage:
        manage_here(args.manage)
        return 0
    if args.measure:
        measure_here(args.measure[0], json.loads(args.measure[1]), args.traced)
        return 0

    os.environ.setdefault("EXPORT_PSEUDONYM_KEY", secrets.token_hex(32))
    if args.database_url:  # a corpus made before (--keep): used as it is, and kept
        setup_django(args.database_url)
        from archive.models import Comment

        print(f"{database()}: {args.database_url}")
        return run(args.database_url, Comment.objects.count(), args)
    database_url = create_database(args)
    try:
        setup_django(database_url)
        build(args)
        return run(database_url, args.comments, args)
    finally:
        drop_database(args)


def run(database_url: str, comments: int, args) -> int:
    compare(comments, args.rounds)
    failures = memory(database_url, args.small)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

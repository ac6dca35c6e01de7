"""Benchmark `manage.py generate_corpus`: comments per second, whole and by phase, beside a
floor (a plain `executemany` of the same comment rows).

    .venv/bin/python bench/corpus.py [--comments 100000,1000000] [--db sqlite,postgres]
                                     [--rounds 3] [--workers N] [--floor-rows 200000]

Each round makes a database of its own (a temporary SQLite file, migrated once and copied;
or a PostgreSQL database it creates, migrates and drops: `--pg-url`, `--pg-database`) and
runs `manage.py generate_corpus --comments N -v 2` in a process of its own. The figures
are the command's own: from the start of the load to its commit (and PostgreSQL's
ANALYZE), every table, index and the audit chain included; Django's start-up and the
migrations are not. Printed per database and size, medians over the rounds: the whole, and
each phase the command reports (setup, generate: waiting for rows; insert: writing them;
indexes: rebuilding what was set aside, full-text included, while the audit chain is
hashed beside it; audit: writing the chain; commit; analyze), in seconds and, for the
whole and the phases that grow with the corpus, comments per second (each phase's median
on its own: they need not add up to the whole's). Also the CPU seconds of the command and
its worker processes (a steadier figure than wall time on a shared machine; PostgreSQL's
own work is not in it).

The floor: the first `--floor-rows` comment rows the round made, read back, and written by
the driver's plain `executemany` INSERT into a bare table of the same columns (no index, no
key, no trigger, no other table) in one transaction, with the database's ordinary
settings: what getting the comments alone into a table costs, one statement per row. (At
a million rows PostgreSQL's `executemany` alone would take minutes; the floor's rate does
not depend on the row count, hence the cap.) `--against DIR` also runs another checkout's
`generate_corpus` (say /work/main) each round, for a before/after in the same run.
"""

import argparse
import os
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PHASES = ["setup", "generate", "insert", "indexes", "audit", "marks", "commit", "analyze"]
SCALING = {"generate", "insert", "indexes"}  # phases whose time grows with the corpus
FLOOR_TABLE = "bench_floor_comment"


def arguments(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--comments", default="100000", help="Sizes, comma-separated.")
    parser.add_argument("--db", default="sqlite", help="sqlite, postgres or both (comma).")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, help="generate_corpus --workers (default: its own).")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--floor-rows", type=int, default=200_000)
    parser.add_argument("--against", type=Path, help="Another checkout to run beside, whole only.")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--pg-database", default="bench_corpus")
    args = parser.parse_args(argv)
    args.sizes = [int(n.replace("_", "")) for n in args.comments.split(",")]
    args.databases = args.db.split(",")
    if not set(args.databases) <= {"sqlite", "postgres"} or args.rounds < 1:
        parser.error("--db: sqlite and/or postgres; --rounds: at least 1")
    return args


def environment(database_url: str) -> dict:
    """A fresh shell's environment (no DJANGO_*/DATABASE_* of the caller's) for one database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    return {**env, "DATABASE_URL": database_url, "DJANGO_DEBUG": "true"}


def manage(code: Path, database_url: str, *args: str) -> tuple[str, float]:
    """Run `manage.py` of `code`; returns its output and the CPU seconds it and its worker
    processes used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run(
        [sys.executable, str(code / "manage.py"), *args],
        cwd=code,
        env=environment(database_url),
        capture_output=True,
        text=True,
        check=False,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return result.stdout, cpu


# Databases


class SQLiteDatabases:
    """Temporary files: one migrated database, copied fresh for each run."""

    name = "SQLite"

    def __init__(self, args):
        self.folder = Path(tempfile.mkdtemp(prefix="corpus-bench-"))
        self.template = self.folder / "migrated.sqlite3"
        manage(ROOT, self.url(self.template), "migrate", "--verbosity", "0")
        self.name = f"SQLite {sqlite3.sqlite_version}"

    @staticmethod
    def url(path: Path) -> str:
        return f"sqlite:///{path}"

    def fresh(self) -> str:
        path = self.folder / "run.sqlite3"
        self.drop()
        shutil.copyfile(self.template, path)
        return self.url(path)

    def drop(self) -> None:
        for leftover in self.folder.glob("run.sqlite3*"):
            leftover.unlink()

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)

    def connect(self, url: str):
        connection = sqlite3.connect(urlsplit(url).path, isolation_level=None)
        connection.execute("PRAGMA synchronous = NORMAL")  # as the project's settings have it
        return connection


class PostgresDatabases:
    """One database, created, migrated and dropped for each run."""

    def __init__(self, args):
        import psycopg

        self.psycopg = psycopg
        self.admin_url, self.database = args.pg_url, args.pg_database
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            if conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [self.database]
            ).fetchone():
                sys.exit(f"database {self.database} exists: drop it or choose --pg-database")
            version = conn.info.server_version
        self.name = f"PostgreSQL {version // 10000}.{version % 10000}"

    def fresh(self) -> str:
        self.drop()
        with self.psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.database}"')
        url = urlunsplit(urlsplit(self.admin_url)._replace(path=f"/{self.database}"))
        manage(ROOT, url, "migrate", "--verbosity", "0")
        return url

    def drop(self) -> None:
        with self.psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.database}"')

    def close(self) -> None:
        self.drop()

    def connect(self, url: str):
        return self.psycopg.connect(url, autocommit=True)


# Measures


def generate(code: Path, url: str, size: int, args) -> dict:
    command = ["generate_corpus", "--comments", str(size), "--seed", str(args.seed), "-v", "2"]
    if args.workers is not None:
        command += ["--workers", str(args.workers)]
    out, cpu = manage(code, url, *command)
    whole = re.search(r"^([\d.]+) s \(.*comments/s", out, re.MULTILINE)
    if not whole:
        sys.exit(f"generate_corpus said nothing of its speed:\n{out}")
    measure = {"whole": float(whole.group(1)), "cpu": cpu}
    phases = re.search(r"^phases: (.*)$", out, re.MULTILINE)
    for name, seconds in re.findall(r"([a-z ]+?) ([\d.]+) s", phases.group(1) if phases else ""):
        measure[name.strip()] = float(seconds)
    workers = re.search(r"(\d+) worker process", out)
    measure["workers"] = int(workers.group(1)) if workers else None
    return measure


def floor(databases, url: str, rows: int) -> dict:
    """The first `rows` comments, by a plain executemany into a bare table; seconds."""
    connection = databases.connect(url)
    try:
        columns = [c for c in columns_of(connection, databases)]
        names = ", ".join(columns)
        data = list(
            connection.execute(f"SELECT {names} FROM archive_comment ORDER BY id LIMIT {rows}")
        )
        if isinstance(databases, SQLiteDatabases):
            connection.execute(
                f"CREATE TABLE {FLOOR_TABLE} AS SELECT {names} FROM archive_comment WHERE 0"
            )
            marks = ", ".join("?" * len(columns))
        else:
            connection.execute(
                f"CREATE TABLE {FLOOR_TABLE} AS SELECT {names} FROM archive_comment WITH NO DATA"
            )
            marks = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {FLOOR_TABLE} ({names}) VALUES ({marks})"
        started, cpu = time.perf_counter(), time.process_time()
        connection.execute("BEGIN")
        connection.cursor().executemany(sql, data)
        connection.execute("COMMIT")
        return {
            "whole": time.perf_counter() - started,
            "cpu": time.process_time() - cpu,
            "rows": len(data),
        }
    finally:
        connection.close()


def columns_of(connection, databases) -> list[str]:
    if isinstance(databases, SQLiteDatabases):
        return [row[1] for row in connection.execute("PRAGMA table_info(archive_comment)")]
    return [
        row[0]
        for row in connection.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = "
            "current_schema() AND table_name = 'archive_comment' ORDER BY ordinal_position"
        )
    ]


# Report


def median(runs: list[dict], key: str) -> float | None:
    values = [run[key] for run in runs if key in run]
    return statistics.median(values) if values else None


def seconds_of(runs: list[dict]) -> str:
    return ", ".join(f"{run['whole']:.1f} s" for run in runs)


def rate(size: int, seconds: float | None) -> str:
    return f"{size / seconds:>12,.0f}" if seconds else f"{'':>12}"


def report(name: str, size: int, runs: list[dict], floors: list[dict], against: list[dict]) -> None:
    workers = runs[0].get("workers")
    print(
        f"\n{name}, {size:,} comments, {len(runs)} round{'s' * (len(runs) > 1)} (medians), "
        f"{workers} worker process{'es' * (workers != 1)}"
    )
    print(f"  {'phase':<16}{'seconds':>9}{'comments/s':>12}")
    whole = median(runs, "whole")
    print(f"  {'whole':<16}{whole:>9.2f}{rate(size, whole)}")
    for phase in PHASES:
        seconds = median(runs, phase)
        if seconds is not None:
            shown = rate(size, seconds) if phase in SCALING else ""
            print(f"  {phase:<16}{seconds:>9.2f}{shown}")
    beside = median(runs, "audit hashing")
    if beside is not None:
        print(f"  {'(audit hashing':<16}{beside:>9.2f}  beside the indexes)")
    print(f"  CPU {median(runs, 'cpu'):.1f} s (the command and its workers)")
    print(f"  rounds, whole: {seconds_of(runs)}")
    rows = floors[0]["rows"]
    seconds = median(floors, "whole")
    print(
        f"floor: plain executemany of the same comment rows ({rows:,}) into a bare table: "
        f"{seconds:.2f} s, {rows / seconds:,.0f} comments/s, CPU {median(floors, 'cpu'):.1f} s; "
        f"the whole corpus costs {whole / size / (seconds / rows):.1f} x the floor per comment"
    )
    if against:
        other = median(against, "whole")
        print(
            f"against: {other:.2f} s, {size / other:,.0f} comments/s, CPU "
            f"{median(against, 'cpu'):.1f} s (rounds: "
            f"{seconds_of(against)})"
        )


def main(argv=None) -> None:
    args = arguments(argv)
    for kind in args.databases:
        databases = SQLiteDatabases(args) if kind == "sqlite" else PostgresDatabases(args)
        try:
            for size in args.sizes:
                runs, floors, against = [], [], []
                for _ in range(args.rounds):
                    url = databases.fresh()
                    runs.append(generate(ROOT, url, size, args))
                    floors.append(floor(databases, url, min(size, args.floor_rows)))
                    if args.against:
                        url = databases.fresh()
                        against.append(generate(args.against.resolve(), url, size, args))
                    databases.drop()
                report(databases.name, size, runs, floors, against)
        finally:
            databases.close()


if __name__ == "__main__":
    main()

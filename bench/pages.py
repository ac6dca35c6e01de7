"""Benchmark every moderator page at a given size, beside Django admin's nearest changelist.

    .venv/bin/python bench/pages.py [--comments 100000] [--db sqlite|postgres] [--rounds 5]

Builds a database of its own (a temporary SQLite file, or a PostgreSQL database it creates
and drops: `--pg-url`, `--pg-database`), migrates it and fills it with
`manage.py generate_corpus --comments N --screen`. Then requests each page with Django's
test Client, in this process (server time: no network, no browser), interleaved with its admin
equivalent (ours, admin, ours, admin… for `--rounds` rounds), counting queries with
`CaptureQueriesContext`, and prints per page: the median and 90th percentile in ms, the
query count, the admin equivalent's median and query count, and the ratio ours / admin
(below 1: ours is faster). Then each page's addresses.

Our pages are requested as a Moderator (the export page as a Researcher); Django's admin as
a staff superuser (the admin is read-only in this project: see moderation/admin.py), whose
changelists do a full COUNT, as they do. "n/a": the admin has no such page (a thread, the
export page) or refuses that filter (commenter, article). Admin pages list 100 rows, our queue 25;
deep pages compare the same depth in rows. The database connection stays open between
requests (CONN_MAX_AGE as a pooled server would have it); debug is off while measuring.
A page whose first request takes longer than `--page-budget` seconds gets fewer rounds; a
query running longer than `--timeout` seconds is stopped and its page reported as "> …".
"""

import argparse
import base64
import logging
import math
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PER_PAGE, ADMIN_PER_PAGE = 25, 100
DEEP_ROWS = 10_000  # how deep the deep pages start (less in small corpora)
SEARCH_WORD = "idiot"  # in a few percent of comments (moderation/corpus/text.py)


@dataclass
class Page:
    name: str
    ours: str
    admin: str | None  # None: the admin has no equivalent
    user: str = "moderator"
    times: dict = field(default_factory=lambda: {"ours": [], "admin": []})
    queries: dict = field(default_factory=dict)
    timed_out: set = field(default_factory=set)
    rounds: int = 0


# The database


def postgres_admin_url(url: str) -> str:
    """The server's maintenance database, where databases are created and dropped."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres"))


def create_database(args) -> str:
    """A fresh database for the run; returns its DATABASE_URL."""
    if args.db == "sqlite":
        args.workdir = Path(tempfile.mkdtemp(prefix="pages-bench-"))
        return f"sqlite:///{args.workdir / 'bench.sqlite3'}"
    import psycopg

    with psycopg.connect(postgres_admin_url(args.pg_url), autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [args.pg_database]
        ).fetchone()
        if exists:
            sys.exit(f"database {args.pg_database} exists: drop it or choose --pg-database")
        conn.execute(f'CREATE DATABASE "{args.pg_database}"')
    return urlunsplit(urlsplit(args.pg_url)._replace(path=f"/{args.pg_database}"))


def drop_database(args) -> None:
    if args.keep:
        where = args.workdir if args.db == "sqlite" else args.pg_database
        print(f"kept {where}")
        return
    if args.db == "sqlite":
        shutil.rmtree(args.workdir, ignore_errors=True)
        return
    from django.db import connections

    connections.close_all()
    import psycopg

    with psycopg.connect(postgres_admin_url(args.pg_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.pg_database}"')


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_DEBUG"] = "true"  # for setup without a secret key; off while measuring
    # Debug goes off while measuring: a deployment signs its audit history, so a key.
    os.environ.setdefault("AUDIT_SIGNING_KEY", base64.b64encode(secrets.token_bytes(32)).decode())
    os.environ["DJANGO_SETTINGS_MODULE"] = "moderation.settings"
    os.environ.setdefault("EXPORT_PSEUDONYM_KEY", secrets.token_hex(32))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    # Not django.test's setup_test_environment: it instruments every template render (a
    # signal per {% include %}), which would add to the pages' time what no server spends.
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.DATABASES["default"]["CONN_MAX_AGE"] = None
    # A page stopped by --timeout is reported in the table, not as a server error.
    logging.getLogger("django.request").setLevel(logging.CRITICAL)


def build(args, *, screen: bool = True) -> None:
    """Migrate, then `generate_corpus --comments N [--screen]`."""
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"{database()}: migrated in {time.perf_counter() - started:.1f} s")
    call_command("generate_corpus", comments=args.comments, seed=args.seed, screen=screen)


def database() -> str:
    from django.db import connection

    if connection.vendor == "sqlite":
        return f"SQLite {connection.Database.sqlite_version}"
    version = connection.pg_version
    return f"PostgreSQL {version // 10000}.{version % 10000}"


# The pages


def pages() -> list[Page]:
    """Our pages and their admin equivalents, with the ids they need looked up directly."""
    from django.db.models import Count
    from django.urls import reverse

    from archive.models import Comment
    from moderation.models import AuditEvent, Category, Decision, ModerationState, Tag

    pending = ModerationState.objects.filter(status="pending")
    count = pending.count()
    deep = max(1, min(DEEP_ROWS, count // 2))
    cursor = pending.order_by("queued_at", "comment_id").values_list("comment_id", flat=True)
    events = AuditEvent.objects.count()
    audit_deep = max(1, min(DEEP_ROWS, events // 2))
    event = AuditEvent.objects.order_by("-id").values_list("id", flat=True)[audit_deep - 1]
    site = (Comment.objects.values("article__site").annotate(n=Count("pk")).order_by("-n")[0])[
        "article__site"
    ]
    category = Category.objects.get(site=site, slug="profanity").pk
    tag_pages = max(1, math.ceil(Tag.objects.filter(category=category).count() / ADMIN_PER_PAGE))
    moderator = (Decision.objects.values("moderator").annotate(n=Count("pk")).order_by("-n")[0])[
        "moderator"
    ]
    by_commenter = Comment.objects.exclude(commenter=None).values("commenter")
    commenter = by_commenter.annotate(n=Count("pk")).order_by("-n")[0]["commenter"]
    article = Comment.objects.values("article").annotate(n=Count("pk")).order_by("-n")[0]
    article = article["article"]

    queue = reverse("moderation:queue")
    state = "/admin/moderation/moderationstate/"
    comments = "/admin/archive/comment/"
    return [
        Page("queue: pending, oldest", queue, f"{state}?status__exact=pending"),
        Page("queue: pending, newest", f"{queue}?order=newest", f"{state}?status__exact=pending"),
        Page("queue: approved", f"{queue}?status=approved", f"{state}?status__exact=approved"),
        Page("queue: removed", f"{queue}?status=removed", f"{state}?status__exact=removed"),
        Page("queue: escalated", f"{queue}?status=escalated", f"{state}?status__exact=escalated"),
        Page("queue: all", f"{queue}?status=all", comments),
        Page(
            f"queue: deep (row {deep + 1:,})",
            f"{queue}?after={cursor[deep - 1]}",
            f"{state}?status__exact=pending&p={deep // ADMIN_PER_PAGE + 1}",
        ),
        Page(
            "queue: last page",
            f"{queue}?last=1",
            f"{state}?status__exact=pending&p={max(1, math.ceil(count / ADMIN_PER_PAGE))}",
        ),
        Page("queue: site", f"{queue}?site={site}", f"{comments}?article__site__id__exact={site}"),
        Page(
            "queue: category (all)",
            f"{queue}?status=all&category={category}",
            f"/admin/moderation/tag/?category__id__exact={category}",
        ),
        Page(
            "queue: moderator (all)",
            f"{queue}?status=all&moderator={moderator}",
            f"/admin/moderation/decision/?moderator__id__exact={moderator}",
        ),
        Page(
            "queue: category (pending)",
            f"{queue}?category={category}",
            f"/admin/moderation/tag/?category__id__exact={category}",
        ),
        Page(
            "queue: category, last page",
            f"{queue}?status=all&category={category}&last=1",
            f"/admin/moderation/tag/?category__id__exact={category}&p={tag_pages}",
        ),
        Page(
            "queue: moderator (pending)",
            f"{queue}?moderator={moderator}",
            f"/admin/moderation/decision/?moderator__id__exact={moderator}",
        ),
        Page("queue: flagged (likely violations first)", f"{queue}?status=flagged", None),
        Page("queue: commenter", f"{queue}?commenter={commenter}", None),
        Page("queue: article", f"{queue}?article={article}", None),
        Page(
            f"queue: text '{SEARCH_WORD}'",
            f"{queue}?q={SEARCH_WORD}",
            f"{comments}?q={SEARCH_WORD}",
        ),
        Page(
            f"queue: text '{SEARCH_WORD}', best",
            f"{queue}?q={SEARCH_WORD}&order=best",
            f"{comments}?q={SEARCH_WORD}",
        ),
        Page("thread (longest)", reverse("moderation:thread", args=[article]), None),
        Page("public preview (longest)", reverse("moderation:public", args=[article]), None),
        Page("audit: first page", reverse("moderation:audit"), "/admin/moderation/auditevent/"),
        Page(
            f"audit: deep (row {audit_deep + 1:,})",
            f"{reverse('moderation:audit')}?after={event}",
            f"/admin/moderation/auditevent/?p={audit_deep // ADMIN_PER_PAGE + 1}",
        ),
        Page("export page", reverse("moderation:export"), None, user="researcher"),
        Page("commenter (most prolific)", reverse("moderation:commenter", args=[commenter]), None),
    ]


def clients() -> dict:
    from django.contrib.auth import get_user_model
    from django.test import Client

    User = get_user_model()
    superuser = User.objects.filter(username="bench-superuser").first() or (
        User.objects.create_superuser("bench-superuser", "bench@example.org", None)
    )
    made = {}
    for role, user in [
        ("moderator", User.objects.get(username="corpus-moderator-1")),
        ("researcher", User.objects.get(username="corpus-researcher")),
        ("admin", superuser),
    ]:
        made[role] = Client()
        made[role].force_login(user)
    return made


class TimedOut(Exception):
    pass


def limit_queries(seconds: float) -> None:
    """PostgreSQL cancels any statement that runs longer than `seconds` (set on every
    connection Django opens); SQLite is interrupted by `request`'s timer."""
    from django.db import connection as current
    from django.db.backends.signals import connection_created

    def limit(sender, connection, **kwargs):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"SET statement_timeout = {int(seconds * 1000)}")

    connection_created.connect(limit, weak=False)
    current.ensure_connection()
    limit(None, current)  # the connection the load opened


def timed(call, timeout: float) -> tuple[float, int, object]:
    """`call()` in this process: seconds taken, queries made and what it returned. A query
    running past `timeout` raises TimedOut."""
    from django.db import OperationalError, connection
    from django.test.utils import CaptureQueriesContext

    connection.ensure_connection()
    interrupt = None
    if connection.vendor == "sqlite":
        interrupt = threading.Timer(timeout, connection.connection.interrupt)
        interrupt.start()
    try:
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            result = call()
            elapsed = time.perf_counter() - started
    except OperationalError as error:
        if "interrupted" in str(error) or "statement timeout" in str(error):
            raise TimedOut() from None
        raise
    finally:
        if interrupt:
            interrupt.cancel()
    return elapsed, len(queries.captured_queries), result


def request(client, url: str, timeout: float) -> tuple[float, int]:
    """One GET: seconds taken and queries made. A query running past `timeout` raises
    TimedOut; anything but 200 stops the run."""

    def get():
        response = client.get(url)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
        return response

    try:
        elapsed, queries, response = timed(get, timeout)
    except TimedOut:
        raise TimedOut(url) from None
    if response.status_code != 200:
        raise SystemExit(f"GET {url}: {response.status_code} (expected 200)")
    return elapsed, queries


def measure(all_pages: list[Page], clients_: dict, args) -> None:
    """Each page's own request and its admin equivalent's, interleaved (`interleave`)."""
    calls = {}
    for page in all_pages:
        calls[page.name] = {"ours": partial(request, clients_[page.user], page.ours)}
        if page.admin:
            calls[page.name]["admin"] = partial(request, clients_["admin"], page.admin)
    interleave(all_pages, calls, args)


def interleave(rows: list, calls: dict, args) -> None:
    """A first call per row and side (queries counted, not timed), then `args.rounds`
    rounds, each row's sides in turn. `calls`: {row name: {side: call(timeout) -> (seconds,
    queries)}}; a row has `name`, `times` and `queries` (by side), `timed_out`, `rounds`.
    A side whose first call times out is not called again; a row whose first calls take
    longer than `args.page_budget` over all rounds gets fewer rounds."""
    for row in rows:
        sides = calls[row.name]
        slowest = 0.0
        for side, call in list(sides.items()):
            try:
                first, row.queries[side] = call(args.timeout)
            except TimedOut:
                row.timed_out.add(side)
                del sides[side]
                first = args.timeout
            slowest = max(slowest, first)
        row.rounds = max(1, min(args.rounds, int(args.page_budget / max(slowest, 1e-6))))
    for n in range(args.rounds):
        for row in rows:
            if n >= row.rounds:
                continue
            for side, call in calls[row.name].items():
                row.times[side].append(call(args.timeout)[0])


# The report


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f}"


def p90(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def report(all_pages: list[Page], timeout: float) -> None:
    header = (
        f"{'page':<28} {'n':>2} {'median ms':>10} {'p90 ms':>9} {'queries':>7} │ "
        f"{'admin median':>12} {'queries':>7} │ {'ours/admin':>10}"
    )
    print(header)
    print("─" * len(header))
    for page in all_pages:
        ours, admin = page.times["ours"], page.times["admin"]
        over = f"> {ms(timeout)}"  # timed out: at least this long
        mine = statistics.median(ours) if ours else timeout
        line = f"{page.name:<28} {len(ours):>2} "
        if ours:
            line += f"{ms(mine):>10} {ms(p90(ours)):>9} {page.queries['ours']:>7} │ "
        else:
            line += f"{over:>10} {'':>9} {'?':>7} │ "
        if admin:
            ratio = f"{mine / statistics.median(admin):.2f}"
            ratio = ratio if ours else f"> {ratio}"
            line += f"{ms(statistics.median(admin)):>12} {page.queries['admin']:>7} │ {ratio:>10}"
        elif "admin" in page.timed_out:
            line += f"{over:>12} {'?':>7} │ {'?':>10}"
        else:
            line += f"{'n/a':>12} {'':>7} │ {'n/a':>10}"
        print(line)
    print("\naddresses (ours ⇢ admin):")
    for page in all_pages:
        print(f"  {page.name}: {page.ours} ⇢ {page.admin or 'n/a'}")


def arguments(description: str, database: str) -> argparse.ArgumentParser:
    """The options of a page bench (this one, bench/reviews.py): size, database, rounds,
    budgets, a database to keep or reuse, pages to measure. `database`: the PostgreSQL
    database's name without the process id."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--page-budget",
        type=float,
        default=60.0,
        help="seconds a page (with its admin equivalent) may take over all rounds",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        help="seconds a query may run before the page is reported as timed out",
    )
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/")
    parser.add_argument("--pg-database", default=f"{database}_{os.getpid()}")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument(
        "--reuse",
        metavar="DATABASE_URL",
        help="measure a database a --keep run left (neither built nor dropped)",
    )
    parser.add_argument(
        "--only", action="append", default=[], help="pages whose name contains this (repeatable)"
    )
    return parser


def main(argv=None) -> int:
    parser = arguments(__doc__.split("\n\n")[0], "bench_pages")
    args = parser.parse_args(argv)

    if args.reuse:
        args.keep = True
        args.workdir = Path(urlsplit(args.reuse).path).parent
    url = args.reuse or create_database(args)
    try:
        setup_django(url)
        if not args.reuse:
            build(args)
        limit_queries(args.timeout)
        all_pages = [p for p in pages() if not args.only or any(o in p.name for o in args.only)]
        measure(all_pages, clients(), args)
        print()
        report(all_pages, args.timeout)
    finally:
        drop_database(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())

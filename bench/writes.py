"""Write throughput of the services without HTTP: is the audit head a ceiling?

    DATABASE_URL=postgres://… .venv/bin/python bench/writes.py [--seconds 5] [--writers 1,2,4,8,16]

Every service ends by appending to the audit chain under one lock, the audit head: writes on
different comments still queue there. For each number of writers (processes, as gunicorn's
workers are, each with its own connection), every writer decides its own comment over and
over (escalate, back to pending: one audit event each) for --seconds, so the head is the
only row they share. Printed per number of writers:

* decisions per second;
* how long each decision held the head: from its UPDATE of the head returning (the lock
  taken) to the service returning (committed), p50 and p95;
* the head's utilisation: the time it was held, summed, over the wall time. Near 1.0, the
  head is the ceiling (more writers cannot write faster); well below, something else is;
* how busy the machine's CPUs were meanwhile (Linux): at 100 %, a lock holder also waits
  for a CPU, which stretches its hold, so the CPU and the head cannot be told apart.

On the database DATABASE_URL names, in a "Bench writes" site it creates (SQLite has one
writer at a time anyway: there the database's own lock is the ceiling). Debug is on for the
set-up and off while measuring, so Django keeps no query log.
"""

import argparse
import base64
import multiprocessing
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAD = 'UPDATE "moderation_audithead"'


def setup(writers: int):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "moderation.settings")
    os.environ["DJANGO_DEBUG"] = "true"
    # Debug goes off while measuring: a deployment signs its audit history, so a key.
    os.environ.setdefault("AUDIT_SIGNING_KEY", base64.b64encode(secrets.token_bytes(32)).decode())
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from archive.models import Article, Comment, Site, Source

    site, _ = Site.objects.get_or_create(name="Bench writes")
    article, _ = Article.objects.get_or_create(
        site=site, source=Source.PAGE, source_key="writes", defaults={"title": "Bench writes"}
    )
    group = Group.objects.get(name="Moderator")
    pairs = []
    for i in range(writers):
        comment, _ = Comment.objects.get_or_create(
            article=article,
            source_key=f"c{i}",
            defaults={
                "position": str(i + 1),
                "thread_order": i,
                "body_text": f"Comment {i}",
                "source": Source.PAGE,
            },
        )
        user, _ = get_user_model().objects.get_or_create(username=f"bench-writer-{i:02}")
        user.groups.add(group)
        pairs.append((user.pk, comment.pk))
    return pairs


def writer(user_id, comment_id, deadline, ready, go, results):
    """In its own process (as each gunicorn worker is): decide one's own comment until the
    deadline, noting how long each decision held the audit head; put (count, holds)."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from archive.models import Comment
    from moderation import services
    from moderation.models import Status

    user = get_user_model().objects.get(pk=user_id)
    comment = Comment.objects.select_related("article__site").get(pk=comment_id)
    locked, holds = [], []

    def note_head(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith(HEAD):
            locked.append(time.monotonic())
        return result

    ready.wait()
    go.wait()  # the deadline is set
    with connection.execute_wrapper(note_head):
        while time.monotonic() < deadline.value:
            status, version = services.state_of(comment)
            new = Status.PENDING if status == Status.ESCALATED else Status.ESCALATED
            services.decide(user, comment, new, expected_version=version)
            holds.append(time.monotonic() - locked[-1])
    results.put((len(holds), holds))


def cpu_times() -> tuple[int, int] | None:
    """(busy, total) jiffies of all CPUs so far, from /proc/stat; None elsewhere than Linux."""
    try:
        fields = [int(f) for f in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    except OSError:
        return None
    idle = fields[3] + fields[4]  # idle, iowait
    return sum(fields) - idle, sum(fields)


def busy_since(before) -> str:
    after = cpu_times()
    if before is None or after is None or after[1] == before[1]:
        return "n/a"
    return f"{100 * (after[0] - before[0]) / (after[1] - before[1]):.0f} %"


def measure(pairs, seconds: float):
    from django.db import connections

    connections.close_all()  # each process opens its own connection
    fork = multiprocessing.get_context("fork")
    ready, go = fork.Barrier(len(pairs) + 1), fork.Barrier(len(pairs) + 1)
    deadline, results = fork.Value("d", 0.0), fork.Queue()
    processes = [
        fork.Process(target=writer, args=(user, comment, deadline, ready, go, results))
        for user, comment in pairs
    ]
    for process in processes:
        process.start()
    ready.wait()  # every process has loaded its user and comment: the clock starts
    start, cpu = time.monotonic(), cpu_times()
    deadline.value = start + seconds
    go.wait()
    outcomes = [results.get(timeout=seconds + 60) for _ in processes]
    for process in processes:
        process.join()
    wall, busy = time.monotonic() - start, busy_since(cpu)
    return sum(n for n, _ in outcomes), wall, [h for _, holds in outcomes for h in holds], busy


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--writers", default="1,2,4,8,16", help="numbers of processes")
    options = parser.parse_args(argv)
    counts = [int(n) for n in options.writers.split(",")]
    if max(counts) > 64 or options.seconds > 120:
        parser.error("at most 64 writers and 120 seconds")
    pairs = setup(max(counts))
    from django.conf import settings
    from django.db import connection

    from moderation import audit

    settings.DEBUG = False
    print(
        f"bench/writes.py: {connection.vendor} ({connection.settings_dict['NAME']}), "
        f"{options.seconds:g} s per row, each writer (a process) deciding its own comment"
    )
    print(
        f"{'writers':>7} {'decisions/s':>12} {'head held p50 ms':>17} {'p95 ms':>7} "
        f"{'head use':>9} {'CPU busy':>9}"
    )
    for n in counts:
        done, wall, holds, busy = measure(pairs[:n], options.seconds)
        held = sorted(h * 1000 for h in holds)
        p50 = statistics.median(held)
        p95 = statistics.quantiles(held, n=20)[-1] if len(held) > 1 else held[0]
        print(
            f"{n:7} {done / wall:12.1f} {p50:17.2f} {p95:7.2f} {sum(holds) / wall:9.2f} {busy:>9}"
        )
    checked, broken = audit.verify()
    print(f"verify_audit: {checked} events, {'chain intact' if broken is None else broken}")
    return 0 if broken is None else 1


if __name__ == "__main__":
    sys.exit(main())

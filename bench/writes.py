"""Write throughput of the services without HTTP: is the audit head a ceiling?

    DATABASE_URL=postgres://… .venv/bin/python bench/writes.py [--seconds 5] [--threads 1,2,4,8,16]

Every service ends by appending to the audit chain under one lock, the audit head: writes on
different comments still queue there. For each number of threads (each its own connection),
every thread decides its own comment over and over (escalate, back to pending: one audit event
each) for --seconds, so the head is the only row they share. Printed per thread count:

* decisions per second;
* how long each decision held the head: from its UPDATE of the head returning (the lock
  taken) to the service returning (committed), p50 and p95;
* the head's utilisation: the time it was held, summed, over the wall time. Near 1.0, the
  head is the ceiling (more threads cannot write faster); well below, something else is.

On the database DATABASE_URL names, in a "Bench writes" site it creates (SQLite has one
writer at a time anyway: there the database's own lock is the ceiling). Debug is on for the
set-up and off while measuring, so Django keeps no query log.
"""

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAD = 'UPDATE "moderation_audithead"'


def setup(threads: int):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "moderation.settings")
    os.environ["DJANGO_DEBUG"] = "true"
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
    for i in range(threads):
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


def writer(user_id, comment_id, deadline, holds, counts, barrier):
    """Decide one's own comment until the deadline (set by the main thread just before the
    barrier lets everyone go), noting how long each decision held the audit head."""
    from django.contrib.auth import get_user_model
    from django.db import connection, connections

    from archive.models import Comment
    from moderation import services
    from moderation.models import Status

    user = get_user_model().objects.get(pk=user_id)
    comment = Comment.objects.select_related("article__site").get(pk=comment_id)
    locked = []

    def note_head(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith(HEAD):
            locked.append(time.perf_counter())
        return result

    done = 0
    try:
        barrier.wait()
        with connection.execute_wrapper(note_head):
            while time.perf_counter() < deadline[0]:
                status, version = services.state_of(comment)
                new = Status.PENDING if status == Status.ESCALATED else Status.ESCALATED
                services.decide(user, comment, new, expected_version=version)
                holds.append(time.perf_counter() - locked[-1])
                done += 1
    finally:
        counts.append(done)
        connections.close_all()


def measure(pairs, seconds: float):
    holds, counts, deadline = [], [], [0.0]
    # When every thread is ready (its user and comment loaded), the clock starts.
    barrier = threading.Barrier(
        len(pairs) + 1, action=lambda: deadline.__setitem__(0, time.perf_counter() + seconds)
    )
    threads = [
        threading.Thread(target=writer, args=(user, comment, deadline, holds, counts, barrier))
        for user, comment in pairs
    ]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = deadline[0] - seconds
    for thread in threads:
        thread.join()
    return sum(counts), time.perf_counter() - start, holds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--threads", default="1,2,4,8,16")
    options = parser.parse_args(argv)
    counts = [int(n) for n in options.threads.split(",")]
    if max(counts) > 64 or options.seconds > 120:
        parser.error("at most 64 threads and 120 seconds")
    pairs = setup(max(counts))
    from django.conf import settings
    from django.db import connection

    from moderation import audit

    settings.DEBUG = False
    print(
        f"bench/writes.py: {connection.vendor} ({connection.settings_dict['NAME']}), "
        f"{options.seconds:g} s per row, each thread deciding its own comment"
    )
    print(
        f"{'threads':>7} {'decisions/s':>12} {'head held p50 ms':>17} {'p95 ms':>7} {'head use':>9}"
    )
    for n in counts:
        done, wall, holds = measure(pairs[:n], options.seconds)
        held = sorted(h * 1000 for h in holds)
        p50 = statistics.median(held)
        p95 = statistics.quantiles(held, n=20)[-1] if len(held) > 1 else held[0]
        print(f"{n:7} {done / wall:12.1f} {p50:17.2f} {p95:7.2f} {sum(holds) / wall:9.2f}")
    checked, broken = audit.verify()
    print(f"verify_audit: {checked} events, {'chain intact' if broken is None else broken}")
    return 0 if broken is None else 1


if __name__ == "__main__":
    sys.exit(main())

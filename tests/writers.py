"""Several writers on one SQLite file, run by tests/test_database.py in a fresh process (the
settings read DATABASE_URL once, at start-up): migrates the file, then 8 threads, each with
its own connection as each gunicorn worker has, tag, decide and undo on 4 comments at once.
Prints one JSON object: the pragmas in force, the outcomes, and the audit chain's state.

    python -m tests.writers /tmp/x.sqlite3
"""

import json
import os
import random
import sys
import threading

THREADS, ROUNDS, COMMENTS = 8, 15, 4


def main(path: str) -> dict:
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ["DJANGO_DEBUG"] = "true"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "moderation.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        pragmas = {
            name: cursor.execute(f"PRAGMA {name}").fetchone()[0]
            for name in ("journal_mode", "synchronous", "busy_timeout")
        }
    return {"pragmas": pragmas, "transaction_mode": connection.transaction_mode, **race()}


def race() -> dict:
    from django.db import connections

    from archive.models import Comment
    from moderation import audit, services
    from moderation.models import AuditEvent, Status
    from tests import factories

    site = factories.make_site("Writers", policy_text="Be civil.")
    article = factories.make_article(site)
    comments = [factories.make_comment(article, f"Comment {i}, you fool.") for i in range(COMMENTS)]
    team = [factories.make_moderator(f"writer{i}") for i in range(THREADS)]
    category = factories.category(site, "personal-attack")
    barrier = threading.Barrier(THREADS)
    outcomes = {"accepted": 0, "refused": 0, "errors": []}
    tally = threading.Lock()

    def act(user, rng):
        comment = Comment.objects.select_related("article__site").get(pk=rng.choice(comments).pk)
        kind = rng.choice(["tag", "decide", "undo"])
        if kind == "tag":
            return services.tag(user, comment, category)
        if kind == "decide":
            status, version = services.state_of(comment)
            new = Status.ESCALATED if status != Status.ESCALATED else Status.PENDING
            return services.decide(user, comment, new, expected_version=version)
        last = AuditEvent.objects.filter(actor=user).order_by("-id").first()
        return services.undo(user, last) if last else None

    def work(i):
        rng = random.Random(i)
        try:
            barrier.wait()
            for _ in range(ROUNDS):
                try:
                    done = act(team[i], rng)
                except services.ModerationError:
                    outcome = "refused"
                except Exception as error:  # what the test is about: "database is locked"
                    with tally:
                        outcomes["errors"].append(repr(error))
                    continue
                else:
                    outcome = "accepted" if done is not None else None
                if outcome:
                    with tally:
                        outcomes[outcome] += 1
        finally:
            connections.close_all()

    before = AuditEvent.objects.count()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    checked, broken = audit.verify()
    return {
        **outcomes,
        "events_written": AuditEvent.objects.count() - before,
        "chain": "intact" if broken is None else broken.problem,
        "events": checked,
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))

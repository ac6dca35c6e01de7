"""python manage.py generate_corpus --comments N [--seed S] [--append] [shape options]

Fills the database with a made-up but realistic corpus of N comments, in the app's own
schema: sites with their policies, articles, commenters, threaded comments, every comment's
moderation state and history (tags, decisions, reasons), commenters' records and blocks, a
hash-chained audit event for every judgement, and the users who made them (`corpus-admin`,
`corpus-moderator-1…`, `corpus-researcher`, without passwords). See `moderation.corpus`.

For benchmarks and trying the dashboard at scale, on SQLite or PostgreSQL: rows are written
in bulk in one transaction while worker processes make the next ones (a million comments in
well under a minute on SQLite). It refuses a database that already has comments unless
`--append` is given, and the same options and seed make the same corpus.
"""

import sys
import time
from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError

from archive.models import Site
from moderation.corpus import Corpus, Options
from moderation.corpus.build import (
    CHUNK,
    LONG_THREAD,
    MODERATORS,
    PARALLEL_FROM,
    UNTIL,
    CorpusError,
)
from moderation.screening import scoring


def _date(value: str) -> datetime:
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise CommandError(f"--until {value!r}: expected a date, YYYY-MM-DD") from None


class Command(BaseCommand):
    help = "Generate a realistic corpus of N comments with their moderation (fast, in bulk)."

    def add_arguments(self, parser):
        parser.add_argument("--comments", type=int, required=True, help="How many comments.")
        parser.add_argument("--seed", type=int, default=1, help="Same seed, same corpus.")
        parser.add_argument(
            "--append",
            action="store_true",
            help="Add to a database that already has comments (refused without it).",
        )
        parser.add_argument(
            "--workers",
            type=int,
            help="Processes that make comments while this one writes them (default: none "
            f"below {PARALLEL_FROM:,} comments, else one per CPU but one, up to 4; 0: none). "
            "The corpus is the same whatever the number.",
        )
        parser.add_argument(
            "--chunk",
            type=int,
            default=CHUNK,
            help=f"Comments made and written at a time (default {CHUNK:,}).",
        )
        parser.add_argument(
            "--screen",
            action="store_true",
            help="Then screen every comment (as an import does; slower): the Flagged tab "
            "and the export's screening columns need it.",
        )
        shape = parser.add_argument_group("shape (defaults scale with --comments)")
        shape.add_argument("--sites", type=int, help="Default 20.")
        shape.add_argument("--articles", type=int, help="Default one per 50 comments, ≤ 2,000.")
        shape.add_argument("--commenters", type=int, help="Default one per 20 comments.")
        shape.add_argument(
            "--long-thread",
            type=int,
            help=f"Comments on the one long thread (default {LONG_THREAD:,}, "
            "or a tenth of a smaller corpus).",
        )
        shape.add_argument("--moderators", type=int, default=MODERATORS)
        shape.add_argument("--months", type=int, default=6, help="Posting spread over months.")
        shape.add_argument(
            "--until",
            type=_date,
            default=UNTIL,
            help=f"The corpus ends on this date (default {UNTIL:%Y-%m-%d}).",
        )

    def handle(self, *args, **options):
        try:
            corpus = Corpus(
                Options(
                    comments=options["comments"],
                    seed=options["seed"],
                    sites=options["sites"],
                    articles=options["articles"],
                    commenters=options["commenters"],
                    long_thread=options["long_thread"],
                    moderators=options["moderators"],
                    months=options["months"],
                    until=options["until"],
                    append=options["append"],
                    workers=options["workers"],
                    chunk=options["chunk"],
                ),
                progress=self._progress(options["verbosity"]),
            )
            summary = corpus.generate()
        except CorpusError as error:
            raise CommandError(str(error)) from None
        *details, phases, cpu, speed = summary.lines()
        for line in details:
            self.stdout.write(line)
        if options["verbosity"] >= 2:
            self.stdout.write(phases)
            self.stdout.write(cpu)
        self.stdout.write(self.style.SUCCESS(speed))
        if options["screen"]:
            started = time.perf_counter()
            scored = sum(
                scoring.rescore_site(site) for site in Site.objects.values_list("pk", flat=True)
            )
            seconds = time.perf_counter() - started
            self.stdout.write(
                self.style.SUCCESS(
                    f"Screened {options['comments']:,} comments in {seconds:.1f} s: "
                    f"{scored:,} with a suggestion."
                )
            )

    def _progress(self, verbosity: int):
        if verbosity < 1 or not sys.stderr.isatty():
            return None

        def show(done: int, total: int) -> None:
            sys.stderr.write(f"\r{done:,}/{total:,} comments")
            if done >= total:
                sys.stderr.write("\n")
            sys.stderr.flush()

        return show

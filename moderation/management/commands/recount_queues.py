"""python manage.py recount_queues: count every article's pending and escalated comments
afresh (one grouped query over the states) and set the kept counters that differ
(`moderation.services.queue_counts`); --dry-run only reports the differences.

The services keep the counters in the transaction of every change, so this should find
nothing: a difference means a write path went past them (a bulk load, a hand-made change)."""

from django.core.management.base import BaseCommand
from django.db import transaction

from moderation.services import queue_counts

SHOWN = 20  # differences listed one by one; the rest are counted


class Command(BaseCommand):
    help = "Recount each article's pending and escalated comments; fix the counters that differ."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="report the differences, change nothing"
        )

    def handle(self, *args, dry_run=False, **options):
        with transaction.atomic():
            differences = queue_counts.recount(fix=not dry_run)
        for difference in differences[:SHOWN]:
            self.stdout.write(str(difference))
        if len(differences) > SHOWN:
            self.stdout.write(f"… and {len(differences) - SHOWN} more")
        if not differences:
            self.stdout.write(self.style.SUCCESS("Every article's queue counts are right."))
        elif dry_run:
            self.stdout.write(
                self.style.WARNING(f"{len(differences)} article(s) differ; nothing was changed.")
            )
        else:
            self.stdout.write(self.style.SUCCESS(f"Fixed {len(differences)} article(s)."))

"""python manage.py recount_insights: count every insight roll-up afresh from the states,
decisions and tags (`moderation.services.insights`) and rewrite the tables that differ;
--dry-run only reports the differences.

The services keep the roll-ups in the transaction of every change, so this should find
nothing on a database they wrote: run it once after an upgrade from a version without
insights, after a bulk load or a restore, or when a difference is suspected."""

from django.core.management.base import BaseCommand
from django.db import transaction

from moderation.services import insights

SHOWN = 20  # differences listed one by one; the rest are counted


class Command(BaseCommand):
    help = "Recount the insights' daily and weekly roll-ups; rewrite those that differ."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="report the differences, change nothing"
        )

    def handle(self, *args, dry_run=False, **options):
        with transaction.atomic():
            differences = insights.recount(fix=not dry_run)
        for difference in differences[:SHOWN]:
            self.stdout.write(str(difference))
        if len(differences) > SHOWN:
            self.stdout.write(f"… and {len(differences) - SHOWN} more")
        if not differences:
            self.stdout.write(self.style.SUCCESS("Every insight roll-up is right."))
        elif dry_run:
            self.stdout.write(
                self.style.WARNING(f"{len(differences)} row(s) differ; nothing was changed.")
            )
        else:
            self.stdout.write(self.style.SUCCESS(f"Rewrote {len(differences)} row(s)."))

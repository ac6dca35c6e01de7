"""python manage.py verify_audit: walk the audit hash chain; exit 0 when it holds, non-zero
naming the first broken event otherwise."""

from django.core.management.base import BaseCommand, CommandError

from moderation import audit


class Command(BaseCommand):
    help = "Verify the audit log's hash chain from its first event to its head."

    def handle(self, *args, **options):
        checked, broken = audit.verify()
        if broken:
            raise CommandError(
                f"audit chain broken at event #{broken.event_id}: {broken.problem}. "
                f"{checked} event(s) before it verify."
            )
        self.stdout.write(
            self.style.SUCCESS(f"audit chain holds: {checked} event(s), head {audit.head_hash()}")
        )

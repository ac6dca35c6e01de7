"""python manage.py audit_checkpoint: sign the audit head now and print the checkpoint (a
JSON line to keep elsewhere); --list prints every checkpoint, --public-key the key that
verifies them, --new-key a new private key for AUDIT_SIGNING_KEY(_FILE)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from moderation import checkpoints
from moderation.models import AuditCheckpoint, AuditEvent, AuditHead


class Command(BaseCommand):
    help = "Sign a checkpoint of the audit head now and print it (or list, or show the key)."

    def add_arguments(self, parser):
        what = parser.add_mutually_exclusive_group()
        what.add_argument("--list", action="store_true", help="print every checkpoint")
        what.add_argument(
            "--public-key", action="store_true", help="print the key that verifies checkpoints"
        )
        what.add_argument(
            "--new-key", action="store_true", help="print a new private key (stores nothing)"
        )

    def handle(self, *args, list=False, public_key=False, new_key=False, **options):
        if new_key:
            self.stdout.write(checkpoints.new_key_text())
        elif list:
            for checkpoint in AuditCheckpoint.objects.order_by("appended", "pk").iterator():
                self.stdout.write(checkpoints.Signed.of(checkpoint).line())
        elif public_key:
            key = checkpoints.verification_key()
            if key is None:
                raise CommandError("No audit signing key is configured (AUDIT_SIGNING_KEY_FILE).")
            self.stdout.write(f"{checkpoints.public_text(key)}  (key {checkpoints.key_id(key)})")
        else:
            self.stdout.write(self._sign().line())

    def _sign(self):
        key = checkpoints.signing_key()
        if key is None:
            raise CommandError("No audit signing key is configured (AUDIT_SIGNING_KEY_FILE).")
        with transaction.atomic():
            # The head's lock: no event is appended while the checkpoint is taken.
            head = AuditHead.objects.select_for_update().filter(pk=1).first()
            last = AuditEvent.objects.order_by("-id").values_list("id", "hash").first()
            if head is None or last is None:
                raise CommandError("The audit log is empty: there is no head to sign.")
            checkpoint = checkpoints.write(last[0], head.appended, last[1], key=key)
        return checkpoints.Signed.of(checkpoint)

"""python manage.py verify_audit [--checkpoints FILE] [--public-key KEY]: walk the audit hash
chain, check the head counter and every signed checkpoint; exit 0 when all hold, non-zero
naming the first event that disagrees otherwise."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from moderation import audit, checkpoints
from moderation.models import AuditCheckpoint


class Command(BaseCommand):
    help = (
        "Verify the audit log: its hash chain from the first event to the head, the head "
        "counter, and every signed checkpoint (stored, and kept outside with --checkpoints)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--checkpoints",
            metavar="FILE",
            help="checkpoints kept outside the database (JSON lines, as AUDIT_CHECKPOINT_FILE "
            "or `audit_checkpoint --list` wrote them) to verify the history against",
        )
        parser.add_argument(
            "--public-key",
            metavar="KEY",
            action="append",
            help="a public key to verify signatures with (base64, as `audit_checkpoint "
            "--public-key` prints it; repeat it for checkpoints signed before a key was "
            "replaced); by default the configured keys",
        )

    def handle(self, *args, **options):
        kept = self._kept(options["checkpoints"])
        keys = self._keys(options["public_key"])
        checked, broken = audit.verify(kept=kept, keys=keys)
        if broken:
            where = f"at event #{broken.event_id}" if broken.event_id else "at its head"
            raise CommandError(
                f"audit chain broken {where}: {broken.problem}. "
                f"{checked} event(s) were checked before this was found."
            )
        signed = AuditCheckpoint.objects.count() + len(kept)
        every = settings.AUDIT_CHECKPOINT_EVERY
        if not signed and every and checked >= every:
            self.stderr.write(
                f"warning: {checked} events and no signed checkpoint (one is made every "
                f"{every}): were they deleted? Verify with --checkpoints and a copy kept "
                "elsewhere."
            )
        if not keys:
            signatures = f"{signed} checkpoint(s) matched by position and hash; signatures "
            signatures += "not checked (no key configured: pass --public-key)"
        else:
            signatures = f"{signed} checkpoint(s) verified with key {', '.join(sorted(keys))}"
        self.stdout.write(
            self.style.SUCCESS(
                f"audit chain holds: {checked} event(s), head {audit.head_hash()}; {signatures}"
            )
        )

    def _kept(self, path):
        if not path:
            return []
        try:
            return checkpoints.read_file(path)
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error.strerror}") from None
        except ValueError as error:
            raise CommandError(str(error)) from None

    def _keys(self, texts):
        if not texts:
            return checkpoints.verification_keys()
        keys = {}
        for text in texts:
            try:
                key = checkpoints.read_public(text)
            except ValueError as error:
                raise CommandError(f"--public-key is {error}") from None
            keys[checkpoints.key_id(key)] = key
        return keys

"""System checks: what a production deployment must configure (run by `migrate`, `check`
and `make serve` before it starts)."""

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured


@checks.register(checks.Tags.security)
def audit_signing_key(app_configs, **kwargs):
    """Without a signing key, audit checkpoints are not written: a history rewritten by
    someone who can write to the database could no longer be told from the real one."""
    from moderation import checkpoints

    try:
        key = checkpoints.signing_key()
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="moderation.E002")]
    if key is None and not settings.DEBUG:
        return [
            checks.Error(
                "No audit signing key: set AUDIT_SIGNING_KEY_FILE (or AUDIT_SIGNING_KEY) to an "
                "Ed25519 private key; `manage.py audit_checkpoint --new-key` prints one.",
                id="moderation.E001",
            )
        ]
    return []

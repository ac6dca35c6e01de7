"""Signed checkpoints of the audit log: the head's position and hash, signed with a key the
database does not hold, so that a history rewritten and re-hashed by someone who can write
to the database no longer matches what was signed.

A checkpoint says: "after `appended` events, the newest was #`event_id` with hash
`head_hash`", signed with Ed25519 (`cryptography`). The private key comes from
AUDIT_SIGNING_KEY (base64 of the 32-byte key) or AUDIT_SIGNING_KEY_FILE (PEM, or that base64
line); `make run` makes one for local use; with debug off a system check refuses to start
without one. Anyone holding only the public key (`manage.py audit_checkpoint --public-key`)
can verify, and cannot sign.

Checkpoints are written every AUDIT_CHECKPOINT_EVERY events by the append that reaches the
count (in its transaction), and on demand (`manage.py audit_checkpoint`). Each is stored in
the database (append-only, like the events) and, once its transaction commits, appended as a
JSON line to AUDIT_CHECKPOINT_FILE when that is set: a copy outside the database, which
`verify_audit --checkpoints FILE` checks the history against. The export bundle carries the
latest one.
"""

import base64
import functools
import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from moderation.models import AuditCheckpoint

DOMAIN = "moderation-audit-checkpoint/1"
log = logging.getLogger(__name__)


# Keys


def _read_private(text: str, where: str) -> Ed25519PrivateKey:
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            key = serialization.load_pem_private_key(text.encode(), password=None)
        else:
            key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(text, validate=True))
    except (ValueError, TypeError) as error:
        raise ImproperlyConfigured(f"{where} is not an Ed25519 private key: {error}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ImproperlyConfigured(f"{where} is a private key, but not an Ed25519 one.")
    return key


def signing_key() -> Ed25519PrivateKey | None:
    """The configured private key, or None when none is configured."""
    if settings.AUDIT_SIGNING_KEY:
        return _read_private(settings.AUDIT_SIGNING_KEY, "AUDIT_SIGNING_KEY")
    path = settings.AUDIT_SIGNING_KEY_FILE
    if not path:
        return None
    try:
        text = Path(path).read_text()
    except OSError as error:
        raise ImproperlyConfigured(
            f"AUDIT_SIGNING_KEY_FILE {path} cannot be read: {error.strerror}"
        ) from None
    return _read_private(text, f"AUDIT_SIGNING_KEY_FILE {path}")


def configured() -> bool:
    return bool(settings.AUDIT_SIGNING_KEY or settings.AUDIT_SIGNING_KEY_FILE)


def verification_key() -> Ed25519PublicKey | None:
    """The public key that verifies new checkpoints: the signing key's public half, else the
    first of AUDIT_VERIFY_KEY; None when neither is configured."""
    key = signing_key()
    if key is not None:
        return key.public_key()
    return next(iter(verification_keys().values()), None)


def verification_keys() -> dict[str, Ed25519PublicKey]:
    """Every public key a checkpoint may be signed with, by key id: the signing key's and
    those of AUDIT_VERIFY_KEY (comma-separated: an auditor's copy, or the keys used before a
    key was replaced). Empty when none is configured."""
    keys = {}
    for text in filter(None, (t.strip() for t in settings.AUDIT_VERIFY_KEY.split(","))):
        try:
            key = read_public(text)
        except ValueError as error:
            raise ImproperlyConfigured(f"AUDIT_VERIFY_KEY is {error}") from None
        keys[key_id(key)] = key
    signing = signing_key()
    if signing is not None:
        keys[key_id(signing.public_key())] = signing.public_key()
    return keys


def public_text(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def read_public(text: str) -> Ed25519PublicKey:
    try:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(text.strip(), validate=True))
    except ValueError as error:
        raise ValueError(f"not an Ed25519 public key (base64 of 32 bytes): {error}") from None


def key_id(key: Ed25519PublicKey) -> str:
    """A short name for a public key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(base64.b64decode(public_text(key))).hexdigest()[:16]


def new_key_text() -> str:
    """A new private key as the base64 line AUDIT_SIGNING_KEY(_FILE) takes."""
    raw = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    return base64.b64encode(raw).decode()


# Checkpoints


@dataclass(frozen=True)
class Signed:
    """A checkpoint as it is kept outside the database (one JSON line)."""

    event_id: int
    appended: int
    head_hash: str
    created_at: str
    key_id: str
    signature: str

    @classmethod
    def of(cls, checkpoint: AuditCheckpoint) -> "Signed":
        return cls(
            checkpoint.event_id,
            checkpoint.appended,
            checkpoint.head_hash,
            _iso(checkpoint.created_at),
            checkpoint.key_id,
            checkpoint.signature,
        )

    @classmethod
    def from_line(cls, line: str) -> "Signed":
        data = json.loads(line)
        try:
            return cls(
                int(data["event_id"]),
                int(data["appended"]),
                str(data["head_hash"]),
                str(data["created_at"]),
                str(data["key_id"]),
                str(data["signature"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"not a checkpoint: {error!r} missing or malformed") from None

    def line(self) -> str:
        return json.dumps(self.__dict__, sort_keys=True, separators=(",", ":"))

    def message(self) -> bytes:
        return statement(self.event_id, self.appended, self.head_hash, self.created_at)

    def verifies(self, keys: dict[str, Ed25519PublicKey]) -> bool:
        """Whether the key it names, among `keys`, verifies its signature."""
        key = keys.get(self.key_id)
        if key is None:
            return False
        try:
            key.verify(base64.b64decode(self.signature), self.message())
        except (InvalidSignature, ValueError):
            return False
        return True


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def statement(event_id: int, appended: int, head_hash: str, created_at: str) -> bytes:
    """What is signed: the position and hash of the head, and when, under a fixed label."""
    content = {
        "domain": DOMAIN,
        "event_id": event_id,
        "appended": appended,
        "head_hash": head_hash,
        "created_at": created_at,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":")).encode()


def write(event_id: int, appended: int, head_hash: str, key=None) -> AuditCheckpoint | None:
    """Sign and store a checkpoint of the head (#event_id, after `appended` events), inside
    the caller's transaction, which holds the audit head's lock. Without a key: None."""
    key = key or signing_key()
    if key is None:
        return None
    created_at = timezone.now()
    signature = key.sign(statement(event_id, appended, head_hash, _iso(created_at)))
    checkpoint = AuditCheckpoint.objects.create(
        event_id=event_id,
        appended=appended,
        head_hash=head_hash,
        created_at=created_at,
        key_id=key_id(key.public_key()),
        signature=base64.b64encode(signature).decode(),
    )
    if settings.AUDIT_CHECKPOINT_FILE:
        line = Signed.of(checkpoint).line()
        transaction.on_commit(lambda: _keep_outside(line))
    return checkpoint


def _keep_outside(line: str) -> None:
    """Append to the copy outside. The action is saved by now: a copy that cannot be
    written is logged as an error (with the line, to add by hand), never the action's."""
    path = settings.AUDIT_CHECKPOINT_FILE
    try:
        with open(path, "a", encoding="utf-8") as kept:
            kept.write(line + "\n")
    except OSError as error:
        log.error("audit checkpoint not copied to %s (%s): %s", path, error, line)


EVENT_DOMAIN = b"moderation-audit-event/1\n"


@functools.lru_cache(maxsize=4)
def _cached_key(setting: str, path: str):
    return signing_key()


def sign_event(event_hash: str) -> str | None:
    """The signature an event carries: its hash (which covers its content and the event
    before it) signed with the configured key, as "<key id>:<base64>"; None without a key.
    The key is read once per setting (a new key file needs a restart)."""
    key = _cached_key(settings.AUDIT_SIGNING_KEY, settings.AUDIT_SIGNING_KEY_FILE)
    if key is None:
        return None
    signature = base64.b64encode(key.sign(EVENT_DOMAIN + event_hash.encode())).decode()
    return f"{key_id(key.public_key())}:{signature}"


def event_signature_holds(signature: str, event_hash: str, keys: dict) -> bool | None:
    """Whether an event's signature verifies with the key it names among `keys`; None when
    that key is not among them."""
    kid, _, text = signature.partition(":")
    key = keys.get(kid)
    if key is None:
        return None
    try:
        key.verify(base64.b64decode(text), EVENT_DOMAIN + event_hash.encode())
    except (InvalidSignature, ValueError):
        return False
    return True


def due(appended: int) -> bool:
    every = settings.AUDIT_CHECKPOINT_EVERY
    return every > 0 and appended % every == 0


def latest(look_back: int = 50) -> AuditCheckpoint | None:
    """The newest stored checkpoint whose signature the configured key verifies (a row
    written behind the triggers, or with another key, is passed over: what the audit page
    shows and every export carries must be genuine); the newest one when no key is
    configured to verify with (`verify_audit --public-key` still checks it)."""
    keys = verification_keys()
    newest = AuditCheckpoint.objects.order_by("-appended", "-pk")[:look_back]
    for checkpoint in newest:
        if not keys or Signed.of(checkpoint).verifies(keys):
            return checkpoint
    return None


def read_file(path: str) -> list[Signed]:
    """The checkpoints of a file kept outside (JSON lines); a bad line is an error naming it."""
    kept = []
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                kept.append(Signed.from_line(line))
            except ValueError as error:
                raise ValueError(f"{path}, line {number}: {error}") from None
    return kept

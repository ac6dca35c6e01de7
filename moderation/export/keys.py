"""The pseudonym key and the pseudonyms derived from it.

The key is EXPORT_PSEUDONYM_KEY, an environment variable kept out of the database; without it
exports are unavailable (ExportUnavailable says how to set it), except in debug, where a fixed,
publicly known development key stands in and every codebook made with it says so.
"""

import hashlib
import hmac
import os
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model

KEY_VARIABLE = "EXPORT_PSEUDONYM_KEY"
MIN_KEY_LENGTH = 32
SHA256_BLOCK = 64  # bytes: the block HMAC pads its key to
# Used only when DEBUG is on and no key is set; every codebook made with it says so.
DEVELOPMENT_KEY = "development-only-export-pseudonym-key: never use it for real data"
HOW_TO_SET_KEY = (
    f"Exports are switched off: {KEY_VARIABLE} is not set. Pseudonyms are derived from this "
    "secret, which must stay out of the database. Set it in the server's environment to a "
    "long random value and keep it (the same key gives the same pseudonyms in every export), "
    f"e.g. {KEY_VARIABLE}=$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
)


class ExportUnavailable(Exception):
    """Exports cannot run as configured (no pseudonym key); str() says how to fix it."""


@dataclass(frozen=True)
class PseudonymKey:
    secret: bytes = field(repr=False)
    development: bool = False


def pseudonym_key() -> PseudonymKey:
    """The key from the environment; in debug without one, a fixed development key."""
    raw = os.environ.get(KEY_VARIABLE, "").strip()
    if raw:
        if len(raw) < MIN_KEY_LENGTH:
            raise ExportUnavailable(
                f"{KEY_VARIABLE} is too short ({len(raw)} characters): commenter names are "
                f"public, so a short key could be guessed from them. Use at least "
                f"{MIN_KEY_LENGTH} random characters, e.g. "
                "$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
            )
        return PseudonymKey(raw.encode())
    if settings.DEBUG:
        return PseudonymKey(DEVELOPMENT_KEY.encode(), development=True)
    raise ExportUnavailable(HOW_TO_SET_KEY)


class Pseudonyms:
    """Commenters as `c-` and moderators as `m-` followed by the first 16 hex digits of
    HMAC-SHA256(key, "commenter:<site name>:<display name>") or (key, "moderator:<user id>").
    With `real_names` (an Admin's explicit, audited choice): the display name and username."""

    def __init__(self, key: PseudonymKey, *, real_names: bool = False):
        self.key = key
        self.real_names = real_names
        self._moderators: dict[int, str] = {}

    def _digest(self, message: str) -> str:
        return hmac.new(self.key.secret, message.encode(), hashlib.sha256).hexdigest()[:16]

    def commenter(self, site_name: str, name: str | None) -> str | None:
        """None for an anonymous comment (it has no commenter)."""
        if name is None:
            return None
        if self.real_names:
            return name
        return "c-" + self._digest(f"commenter:{site_name}:{name}")

    def commenters(self, site_name: str) -> Callable[[str], str]:
        """`commenter` for one site's display names (not None), faster: HMAC's two SHA-256
        states (RFC 2104: the key padded and XORed with 0x36 and 0x5C), the inner one fed
        the message's common start, are made once and copied for each name. The `hmac`
        module's own copy costs twice as much in Python calls (tested to agree)."""
        if self.real_names:
            return str
        key = self.key.secret
        if len(key) > SHA256_BLOCK:
            key = hashlib.sha256(key).digest()
        key = key.ljust(SHA256_BLOCK, b"\0")
        inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        inner.update(f"commenter:{site_name}:".encode())
        outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

        def pseudonym(name: str) -> str:
            digest = inner.copy()
            digest.update(name.encode())
            result = outer.copy()
            result.update(digest.digest())
            return "c-" + result.hexdigest()[:16]

        return pseudonym

    def moderator(self, user_id: int) -> str:
        if user_id not in self._moderators:
            if self.real_names:
                self._moderators.update(
                    get_user_model().objects.values_list("pk", "username").iterator()
                )
            else:
                self._moderators[user_id] = "m-" + self._digest(f"moderator:{user_id}")
        return self._moderators[user_id]

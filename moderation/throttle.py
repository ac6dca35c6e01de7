"""Rate limits that hold across server processes: a count per key and fixed window of time,
kept in the database (`models.RateCount`), for requests that cost someone else something
(an e-mail in their inbox) and that a login lockout does not cover.

`allow(key, limit, per)` counts one more request and says whether it is within the limit,
and if not, how long until the window ends. Keys name what and whose: `reset-ip:<address>`,
`reset-email:<hash>`; a person's address is hashed, never stored.
"""

import hashlib
import math
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from moderation.models import RateCount

KEEP = timedelta(days=2)  # windows older than this are deleted as new ones begin


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window ends (0 when allowed)

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.retry_after / 60))


def hashed(value: str) -> str:
    """A person's address as a key: compared as Django compares e-mail addresses (NFKC,
    case-folded), so a long s (U+017F) for `s` is the same inbox."""
    folded = unicodedata.normalize("NFKC", value.strip()).casefold()
    return hashlib.sha256(folded.encode()).hexdigest()[:32]


def allow(key: str, *, limit: int, per: timedelta) -> Verdict:
    now = timezone.now().timestamp()
    seconds = int(per.total_seconds())
    window = int(now // seconds * seconds)
    hits = _count(key, window)
    if hits <= limit:
        return Verdict(True, 0)
    return Verdict(False, int(window + seconds - now) + 1)


def _count(key: str, window: int) -> int:
    with transaction.atomic():
        rows = RateCount.objects.filter(key=key, window=window)
        if not rows.update(hits=F("hits") + 1):
            try:
                with transaction.atomic():
                    RateCount.objects.create(key=key, window=window, hits=1)
            except IntegrityError:  # another request made it first: count on it
                rows.update(hits=F("hits") + 1)
            else:
                RateCount.objects.filter(window__lt=window - KEEP.total_seconds()).delete()
        return rows.values_list("hits", flat=True).get()

"""What moderators did to a generated corpus: tags (whole comments and passages, a few
retracted), decisions (a comment's whole history, each with the version it produced, reasons
for removals, notes where the services ask for one), blocks of repeat offenders, and the
audit event each of those writes, with the same targets, `before` and `after` as the
services write them (`moderation.services.judgements` and `.commenters`).

Rows and events are only collected here; `moderation.corpus.build` writes them in bulk and
chains the events.
"""

import random
from collections import Counter
from itertools import accumulate
from typing import Any, NamedTuple

from moderation.actions import Action
from moderation.corpus.bulk import moment
from moderation.models import Status
from moderation.services.judgements import DECISION_ACTIONS

# Plain strings, not the enum: the database drivers adapt a str subclass slowly.
PENDING, APPROVED = Status.PENDING.value, Status.APPROVED.value
REMOVED, ESCALATED = Status.REMOVED.value, Status.ESCALATED.value
HOUR = 3600
DAY = 24 * HOUR

# A decided comment's history, by the status it ends in: (statuses in turn, weight).
HISTORIES = {
    APPROVED: [
        ((APPROVED,), 80),
        ((ESCALATED, APPROVED), 15),
        ((REMOVED, APPROVED), 5),
    ],
    REMOVED: [
        ((REMOVED,), 75),
        ((ESCALATED, REMOVED), 20),
        ((APPROVED, REMOVED), 5),
    ],
    ESCALATED: [((ESCALATED,), 90), ((APPROVED, ESCALATED), 10)],
}
HISTORY_CHOICES = {
    status: ([h for h, _ in options], list(accumulate(w for _, w in options)))
    for status, options in HISTORIES.items()
}
# A few pending comments were decided and put back (an undo, a second look).
REOPENED, REOPENED_SHARE = (APPROVED, PENDING), 0.02
# Of the comments with a forbidden passage, by the status they end in: how many were tagged.
TAGGED_SHARE = {
    PENDING: 0.3,
    APPROVED: 0.4,
    REMOVED: 0.85,
    ESCALATED: 0.8,
}
NOTES = {
    ESCALATED: ["Not sure this crosses the line: second opinion please.", ""],
    REMOVED: ["Repeat offender.", "", "", ""],
    PENDING: ["Reopened for a second look."],
}
# Approving a comment that carries tags needs a note saying why (services.decide).
APPROVAL_NOTES = [
    "Criticism of a public figure, not a personal attack.",
    "Quoting someone else; allowed in context.",
    "Reinstated after review.",
]
RETRACT_NOTE = "Wrong category."
BLOCK_REASON = "Repeated violations of the discussion policy after removals."
LIFT_NOTE = "Apologised by email; block lifted."
# Of the tags on a comment with a forbidden passage: how many mark the passage itself.
SPAN_SHARE = 0.6
RETRACTED_SHARE = 0.05


class Ref(NamedTuple):
    """The comment judged, and what its audit events point at."""

    comment_id: int
    site: Any  # moderation.corpus.build.SiteInfo
    article_id: int
    commenter_id: int | None
    text: str


class Outcome(NamedTuple):
    status: str
    version: int
    decision_id: int | None


PENDING_STATE = Outcome(PENDING, 0, None)


class Judge:
    """Collects the rows and events of every judgement, with ids from `first_ids`."""

    def __init__(self, rng: random.Random, moderators: list, admin, first_ids: dict, when):
        self.rng = rng
        self.when = when  # seconds since 1970 -> the value a time column takes
        self.moderators = moderators
        self.resolvers = [admin, *moderators]
        self.next_decision = first_ids.get("decision", 0)
        self.next_tag = first_ids.get("tag", 0)
        self.next_block = first_ids.get("block", 0)
        self.decisions: list[tuple] = []
        self.reasons: list[tuple] = []
        self.tags: list[tuple] = []
        self.blocks: list[tuple] = []
        self.events: list[tuple] = []
        self.removals: Counter = Counter()  # commenter id -> comments removed now
        self.last_removal: dict[int, int] = {}
        self.blocks_of: dict[int, tuple[bool, int | None]] = {}  # id -> (blocked, until)
        self._seq = 0

    def drain(self) -> tuple[list, list, list]:
        """The decisions, reasons and tags collected since the last drain (events stay:
        they are chained once, at the end)."""
        out = self.decisions, self.reasons, self.tags
        self.decisions, self.reasons, self.tags = [], [], []
        return out

    # Events: (time, order, actor id, actor name, action, target type, target id, site,
    # article, comment, commenter, before, after, note), as moderation.audit.append would
    # make them. Plain ints and strings (not the Actor and the Action enum): worker
    # processes send them to the loader, and a class to call per value costs its unpickling.

    def _event(self, at, actor, action, target, ref_ids, before, after, note=""):
        self._seq += 1
        self.events.append(
            (at, self._seq, actor.pk, actor.username, action.value, *target, *ref_ids, before,
             after, note)
        )  # fmt: skip

    @staticmethod
    def _refs(ref: Ref) -> tuple:
        return (ref.site.id, ref.article_id, ref.comment_id, ref.commenter_id)

    # A comment's judgements

    def judge(self, status: str, body, posted: int, roll: float, *ref) -> Outcome:
        """Tags (when the comment has a forbidden passage and someone marked it) and the
        decisions that end in `status`; returns the comment's state. `roll`: a random number
        in [0, 1) that says whether a pending comment was decided and put back (drawn by the
        caller, which skips this call for the plain pending comments: nine in ten). `ref`:
        the fields of `Ref` but the text (the body's)."""
        rng = self.rng
        if status == PENDING:
            history = REOPENED if roll < REOPENED_SHARE else ()
        else:
            histories, cum_weights = HISTORY_CHOICES[status]
            (history,) = rng.choices(histories, cum_weights=cum_weights)
        ref = Ref(*ref, body.text)
        at = posted + int(rng.expovariate(1 / (6 * HOUR))) + 60
        current_tags = 0
        if body.violation is not None and rng.random() < TAGGED_SHARE[status]:
            at, current_tags = self._tag_round(ref, body.violation, body.span, at)
        state = PENDING_STATE
        for step in history:
            at += int(rng.expovariate(1 / (3 * HOUR))) + 60
            state = self._decide(ref, state, step, body.violation, at, current_tags)
        return state

    def _tag_round(self, ref: Ref, violation: str, span, at: int) -> tuple[int, int]:
        """One or two moderators tag the comment; returns the time after and how many of the
        tags are still current."""
        rng = self.rng
        taggers = rng.sample(self.moderators, 2 if rng.random() < 0.25 else 1)
        current = 0
        for moderator in taggers:
            slug = violation if rng.random() < 0.9 else rng.choice(ref.site.slugs)
            marked = span if span is not None and rng.random() < SPAN_SHARE else None
            retracted = self._tag(ref, moderator, slug, marked, at)
            current += not retracted
            at += int(rng.expovariate(1 / 600)) + 5
        return at, current

    def _tag(self, ref: Ref, moderator, slug: str, span, at: int) -> bool:
        tag_id = self.next_tag
        self.next_tag += 1
        site = ref.site
        quote = ref.text[span[0] : span[1]] if span else ""
        retracted_at = at + int(self.rng.uniform(300, 3600)) if self._retracts() else None
        self.tags.append(
            (tag_id, ref.comment_id, site.category_ids[slug], moderator.pk, site.policy_id,
             span[0] if span else None, span[1] if span else None, quote, "", self.when(at),
             self.when(retracted_at) if retracted_at else None,
             moderator.pk if retracted_at else None)
        )  # fmt: skip
        after = {
            "category": slug,
            "span": list(span) if span else None,
            "quoted_text": quote,
            "policy_version": site.policy_version,
        }
        target = ("tag", str(tag_id))
        self._event(at, moderator, Action.TAG_ADD, target, self._refs(ref), None, after)
        if retracted_at is not None:
            before = {"category": slug, "retracted": False}
            self._event(
                retracted_at, moderator, Action.TAG_RETRACT, target, self._refs(ref),
                before, {"retracted": True}, RETRACT_NOTE,
            )  # fmt: skip
        return retracted_at is not None

    def _retracts(self) -> bool:
        return self.rng.random() < RETRACTED_SHARE

    def _decide(self, ref, state: Outcome, status, violation, at, current_tags) -> Outcome:
        rng = self.rng
        decision_id = self.next_decision
        self.next_decision += 1
        version = state.version + 1
        resolving = state.status == ESCALATED
        moderator = rng.choice(self.resolvers if resolving else self.moderators)
        reasons = self._reasons(ref, violation) if status == REMOVED else []
        note = self._note(status, current_tags)
        self.decisions.append(
            # Not flagged: no screening had run when these were decided (--screen scores
            # the comments after).
            (decision_id, ref.comment_id, status, state.status, moderator.pk, note,
             self.when(at), version, False)
        )  # fmt: skip
        self.reasons.extend((decision_id, ref.site.category_ids[s]) for s in reasons)
        self._count_removal(ref, state.status, status, at)
        before = {"status": state.status, "version": state.version}
        after = {"status": status, "version": version, "reasons": reasons}
        target = ("comment", str(ref.comment_id))
        action = DECISION_ACTIONS[status]
        self._event(at, moderator, action, target, self._refs(ref), before, after, note)
        return Outcome(status, version, decision_id)

    def _reasons(self, ref: Ref, violation: str | None) -> list[str]:
        slugs = ref.site.slugs
        first = violation if violation in slugs else self.rng.choice(slugs)
        reasons = {first}
        if self.rng.random() < 0.15:
            reasons.add(self.rng.choice(slugs))
        return [s for s in slugs if s in reasons]  # in the site's order

    def _note(self, status: str, current_tags: int) -> str:
        if status == APPROVED:
            return self.rng.choice(APPROVAL_NOTES) if current_tags else ""
        return self.rng.choice(NOTES[status])

    def _count_removal(self, ref: Ref, before: str, after: str, at: int) -> None:
        if ref.commenter_id is None:
            return
        if after == REMOVED:
            self.removals[ref.commenter_id] += 1
            self.last_removal[ref.commenter_id] = at
        elif before == REMOVED:
            self.removals[ref.commenter_id] -= 1

    # Blocks

    def block_offenders(self, how_many: int, site_of: dict) -> None:
        """Block the commenters with the most removals (ties: the lower id): most for good,
        some until a date, some lifted later."""
        rng = self.rng
        offenders = sorted(
            (c for c, n in self.removals.items() if n >= 2), key=lambda c: (-self.removals[c], c)
        )
        for commenter_id in offenders[:how_many]:
            at = self.last_removal[commenter_id] + HOUR
            roll = rng.random()
            expires = at + 30 * DAY if 0.6 <= roll < 0.85 else None
            lifted = at + 2 * DAY if roll >= 0.85 else None
            self._block(commenter_id, site_of[commenter_id], at, expires, lifted)

    def _block(self, commenter_id, site_id, at, expires, lifted) -> None:
        block_id = self.next_block
        self.next_block += 1
        moderator = self.rng.choice(self.moderators)
        lifter = self.resolvers[0] if lifted else None
        self.blocks.append(
            (block_id, commenter_id, BLOCK_REASON, self.when(expires) if expires else None,
             moderator.pk, self.when(at), self.when(lifted) if lifted else None,
             lifter.pk if lifter else None, LIFT_NOTE if lifted else "")
        )  # fmt: skip
        refs = (site_id, None, None, commenter_id)
        target = ("commenterblock", str(block_id))
        after = {
            "reason": BLOCK_REASON,
            "expires_at": moment(expires).isoformat() if expires else None,
        }
        self._event(at, moderator, Action.COMMENTER_BLOCK, target, refs, None, after, BLOCK_REASON)
        if lifted:
            before, after = {"in_force": True}, {"in_force": False}
            self._event(lifted, lifter, Action.COMMENTER_UNBLOCK, target, refs, before, after,
                        LIFT_NOTE)  # fmt: skip
        # The record as the services leave it: a lifted block clears it, an expiry does not.
        self.blocks_of[commenter_id] = (0, None) if lifted else (1, expires)

"""A corpus's audit events as rows of the hash-chained log: each hashed as
`moderation.audit.compute_hash` hashes an event, without a model instance, a datetime and
three `json.dumps` calls per event (a fifth of a million-comment load went there).

The canonical form is written out field by field in `audit.canonical`'s order (sorted keys,
no whitespace, non-ASCII kept); `Chain` checks its first event of each action against
`audit.compute_hash` itself, so a change to the canonical form stops the load with a clear
error instead of writing a chain that does not verify.
"""

import hashlib
import json
import types
from json.encoder import c_make_encoder, encode_basestring, encode_basestring_ascii

from moderation import audit
from moderation.corpus.bulk import moment

# audit.canonical's separators and order, for `before` and `after`.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
# What Django's JSONField writes (json.dumps' defaults), for the `before` and `after` columns.
_STORED = json.JSONEncoder()


def _encoder(encoder: json.JSONEncoder):
    """`encoder.encode` for the dicts of the events, with its C encoder made once:
    `JSONEncoder.encode` makes one per call, which cost most of the time of the two
    million calls of a million-comment load. (Without the C module: `encoder.encode`.)
    Same text; `Chain` checks the first event of each action against the encoders
    themselves."""
    if c_make_encoder is None:
        return encoder.encode
    encode = c_make_encoder(
        None, encoder.default,
        encode_basestring_ascii if encoder.ensure_ascii else encode_basestring,
        encoder.indent, encoder.key_separator, encoder.item_separator, encoder.sort_keys,
        encoder.skipkeys, encoder.allow_nan,
    )  # fmt: skip
    join = "".join
    return lambda value: join(encode(value, 0))


_canonical_json, _stored_json = _encoder(_CANONICAL), _encoder(_STORED)


class ChainMismatch(Exception):
    """The fast canonical form no longer matches moderation.audit's."""


def _json(value) -> str:
    return "null" if value is None else _canonical_json(value)


def _number(value) -> str:
    return "null" if value is None else str(value)


def canonical(iso_time: str, actor_id: int, actor_name: str, action: str, target_type: str,
              target_id: str, refs, before, after, note: str) -> bytes:  # fmt: skip
    """`audit.canonical` of a corpus event (no request id, no client address)."""
    site_id, article_id, comment_id, commenter_id = refs
    return (
        f'{{"action":{encode_basestring(action)},"actor_id":{_number(actor_id)},'
        f'"actor_name":{encode_basestring(actor_name)},"after":{_json(after)},'
        f'"article_id":{_number(article_id)},"before":{_json(before)},'
        f'"client_address":null,"comment_id":{_number(comment_id)},'
        f'"commenter_id":{_number(commenter_id)},"created_at":"{iso_time}",'
        f'"note":{encode_basestring(note)},"request_id":"","site_id":{_number(site_id)},'
        f'"target_id":{encode_basestring(target_id)},'
        f'"target_type":{encode_basestring(target_type)}}}'
    ).encode()


class Chain:
    """Rows for AuditEvent (AUDIT_FIELDS' order, see build.py), chained onto `previous`."""

    def __init__(self, previous: str, first_id: int, times):
        self.previous = previous
        self.next_id = first_id
        self.times = times  # bulk.Times: a column's text and the canonical ISO form
        self.checked: set[str] = set()

    def rows(self, events) -> list[tuple]:
        """`events`: (time, chunk, order, actor id, actor name, action, target type, target
        id, site, article, comment, commenter, before, after, note), oldest first."""
        rows, when, iso, sha256 = [], self.times, self.times.iso, hashlib.sha256
        previous, event_id = self.previous, self.next_id
        stored = _stored_json
        for (at, _, _, actor_id, actor_name, action, target_type, target_id, *refs, before,
             after, note) in events:  # fmt: skip
            content = canonical(iso(at), actor_id, actor_name, action, target_type, target_id,
                                refs, before, after, note)  # fmt: skip
            digest = sha256(b"%s\n%s" % (previous.encode(), content)).hexdigest()
            row = (
                event_id, when(at), actor_id, actor_name, action, target_type, target_id,
                *refs, None if before is None else stored(before),
                None if after is None else stored(after), note, "", None, previous, digest,
            )  # fmt: skip
            if action not in self.checked:
                self._check(row, at, before, after)
            rows.append(row)
            previous, event_id = digest, event_id + 1
        self.previous, self.next_id = previous, event_id
        return rows

    def _check(self, row: tuple, at: int, before, after) -> None:
        """The first event of each action, hashed by moderation.audit itself (and its
        `before` and `after` as `json.dumps` writes them)."""
        (_, _, actor_id, actor_name, action, target_type, target_id, site_id, article_id,
         comment_id, commenter_id, _, _, note, request_id, client_address, previous,
         digest) = row  # fmt: skip
        event = types.SimpleNamespace(
            created_at=moment(at), actor_id=actor_id, actor_name=actor_name, action=action,
            target_type=target_type, target_id=target_id, site_id=site_id,
            article_id=article_id, comment_id=comment_id, commenter_id=commenter_id,
            before=before, after=after, note=note, request_id=request_id,
            client_address=client_address, prev_hash=previous,
        )  # fmt: skip
        stored = [None if v is None else _STORED.encode(v) for v in (before, after)]
        if audit.compute_hash(event) != digest or stored != list(row[11:13]):
            raise ChainMismatch(
                f"moderation.corpus.chain hashes a {action} event differently from "
                "moderation.audit.compute_hash: bring chain.canonical in line with "
                "audit.canonical"
            )
        self.checked.add(action)

"""Made-up but realistic corpora at any size, in the app's own schema, for benchmarks and
for trying the dashboard at scale (`manage.py generate_corpus`).

- `text`: comment text and names (no database);
- `judgements`: tags, decisions, blocks and their audit events, as the services make them;
- `threads`: comments thread by thread, in chunks that worker processes can make;
- `bulk`: rows straight into tables (SQLite multi-row INSERTs, PostgreSQL `COPY`), times as
  each column takes them, the load's settings;
- `chain`: the audit events' rows, hashed as `moderation.audit` hashes them;
- `build`: the shape of a corpus (sites, articles, commenters, users) and the load.

This is the one writer of moderation rows besides `moderation.services`: it writes in bulk
what the services would have written one call at a time (each comment's state and history,
each commenter's record, every event of the hash-chained audit log), for a database that
nobody else is writing to. Tests check that the result keeps the services' invariants.
"""

from moderation.corpus.build import Corpus, Options, Summary

__all__ = ["Corpus", "Options", "Summary"]

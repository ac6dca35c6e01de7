"""Signals the archive sends, so other apps can react without the archive importing them.

Both are sent by the loader inside the import's transaction, so whatever a receiver writes
is committed, or rolled back, with the rows it is about.

`comments_stored` is sent for each chunk of a file as it is written (a few thousand
comments): moderation gives the new comments their states and the new commenters their
records, and moves the state of a re-imported comment whose author changed. Arguments:
`site` (Site), `source` ("page", "wxr", "disqus"), `created` (the new comments, each a
`loader.NewComment`: its `pk`, `article_id`, `commenter_id` and `posted_at`), `updated` (the
Comment rows this chunk changed, as saved), `commenters` (the new Commenter rows, with their
ids).

`comments_imported` is sent once per file, after its last chunk: moderation records it in
the audit trail. Arguments: `site` (Site), `source`, `origin` (the file name), `report`
(LoadReport with the counts and the ids of the file's articles), `user` (who ran it, or
None for a command line).
"""

from django.dispatch import Signal

comments_stored = Signal()
comments_imported = Signal()

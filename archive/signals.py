"""Signals the archive sends, so other apps can react without the archive importing them.

`comments_imported` is sent by the loader inside the import's transaction, once per file:
moderation records it in the audit trail, in the same transaction as the rows it describes.
Arguments: `site` (Site), `source` ("page" or "wxr"), `origin` (the file name), `report`
(LoadReport with the counts and the ids of the file's articles), `user` (who ran it, or
None for a command line).
"""

from django.dispatch import Signal

comments_imported = Signal()

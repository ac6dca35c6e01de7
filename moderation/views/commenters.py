"""(being written)"""

from moderation.views.queue import _todo

commenter = block = add_note = unblock = _todo

"""(being written)"""

from moderation.views.queue import _todo

audit_list = comment_history = _todo

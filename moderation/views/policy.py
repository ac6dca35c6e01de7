"""(being written)"""

from moderation.views.queue import _todo

policy_list = policy_edit = category_add = category_edit = _todo

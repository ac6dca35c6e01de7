"""Moderation models: policy, categories, tags, decisions, blocks and the audit log.

Nothing here yet: the archive (issue 2) comes first; the moderation models arrive with issue 3.
"""

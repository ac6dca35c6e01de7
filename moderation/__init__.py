"""The Django project package and the moderation app (policy, tags, decisions, audit, queue)."""

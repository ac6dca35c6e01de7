from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = "Moderation"

    def ready(self):
        from moderation import (  # noqa: F401  (connect the receivers, register the checks)
            checks,
            receivers,
        )

from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = "Moderation"

    def ready(self):
        from moderation import receivers  # noqa: F401  (connects the signal receivers)

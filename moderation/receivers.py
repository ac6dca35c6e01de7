"""How moderation hears about the archive without the archive importing moderation."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from archive.models import Site
from archive.signals import comments_imported
from moderation import services


@receiver(post_save, sender=Site, dispatch_uid="moderation.site_policy")
def give_site_a_policy(sender, instance, **kwargs):
    # Also on fixture loading (raw=True): every site gets its policy and categories.
    services.sync_posted_policy(instance)


@receiver(comments_imported, dispatch_uid="moderation.record_import")
def record_import(sender, *, site, source, origin, report, user=None, **kwargs):
    services.record_import(site=site, source=source, origin=origin, report=report, user=user)

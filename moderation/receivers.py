"""How moderation hears about the archive without the archive importing moderation."""

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from archive.models import Comment, Commenter, Site
from archive.signals import comments_imported, comments_stored
from moderation import services
from moderation.screening import scoring
from moderation.services import records


@receiver(post_save, sender=Site, dispatch_uid="moderation.site_policy")
def give_site_a_policy(sender, instance, **kwargs):
    # Also on fixture loading (raw=True): every site gets its policy and categories.
    services.sync_posted_policy(instance)


@receiver(post_save, sender=Comment, dispatch_uid="moderation.comment_state")
def give_comment_a_state(sender, instance, created, **kwargs):
    # Every comment is in the queue from the moment it is stored (fixtures included).
    if created:
        records.opened_comment(instance)


@receiver(post_save, sender=Commenter, dispatch_uid="moderation.commenter_record")
def give_commenter_a_record(sender, instance, created, **kwargs):
    if created:
        records.opened_commenter(instance)


@receiver(comments_stored, dispatch_uid="moderation.open_imported")
def open_imported(sender, *, site, created, updated, commenters, **kwargs):
    # An import stores its rows in bulk (no post_save), a chunk at a time: the new ones'
    # states and records at once, and a changed author's state follows the comment.
    records.open_imported(site, created, commenters)
    if updated:
        records.follow_comments(updated, site=site)
        if settings.SCREENING_AT_IMPORT:
            # A comment edited at the source is screened again, as it now reads.
            scoring.score_texts([(c.pk, site.pk, c.body_text) for c in updated])


@receiver(comments_imported, dispatch_uid="moderation.record_import")
def record_import(sender, *, site, source, origin, report, user=None, **kwargs):
    # The loader writes a new site, or its new policy text, without post_save (see
    # archive.importing.loader._upsert_site): its policy version now, at the import's end.
    records.finish_import(site)  # before a policy event takes the audit head
    if report.site_created or report.policy_change:
        services.sync_posted_policy(Site.objects.get(pk=site.pk))
    services.record_import(site=site, source=source, origin=origin, report=report, user=user)

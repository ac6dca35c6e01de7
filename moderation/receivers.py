"""How moderation hears about the archive without the archive importing moderation."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from archive.models import Comment, Commenter, Site
from archive.signals import comments_imported
from moderation import services
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


@receiver(comments_imported, dispatch_uid="moderation.record_import")
def record_import(sender, *, site, source, origin, report, user=None, **kwargs):
    # An import stores its rows in bulk (no post_save): their states and records, at once.
    comments = Comment.objects.filter(article_id__in=report.article_ids)
    records.open_states(comments)
    records.open_records(Commenter.objects.filter(site=site))
    if report.comments_updated:
        records.follow_comments(comments)
    services.record_import(site=site, source=source, origin=origin, report=report, user=user)

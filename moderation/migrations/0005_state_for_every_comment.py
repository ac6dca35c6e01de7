"""Every comment gets its moderation state (no row used to mean "pending at version 0"), with
the copies the queue's indexes need (site, queued_at), and every commenter a record of the
removals and blocks moderation made, kept current from now on by the services.

Frozen: status values are written out here, and nothing is imported from the app.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Now

REMOVED = "removed"


def fill(apps, schema_editor):
    Comment = apps.get_model("archive", "Comment")
    Commenter = apps.get_model("archive", "Commenter")
    ModerationState = apps.get_model("moderation", "ModerationState")
    CommenterRecord = apps.get_model("moderation", "CommenterRecord")
    CommenterBlock = apps.get_model("moderation", "CommenterBlock")

    missing = Comment.objects.filter(moderation__isnull=True).values_list("pk", flat=True)
    ModerationState.objects.bulk_create(
        [ModerationState(comment_id=pk, status="pending", version=0) for pk in missing.iterator()],
        batch_size=500,
    )
    comment = Comment.objects.filter(pk=OuterRef("comment_id"))
    ModerationState.objects.update(
        site_id=Subquery(comment.values("article__site_id")[:1]),
        queued_at=Coalesce(Subquery(comment.values("posted_at")[:1]), Now()),
    )

    removals = (
        ModerationState.objects.filter(status=REMOVED, comment__commenter=OuterRef("pk"))
        .order_by()
        .values("comment__commenter")
        .annotate(n=Count("pk"))
        .values("n")
    )
    blocks = (
        CommenterBlock.objects.filter(commenter=OuterRef("pk"))
        .order_by()
        .values("commenter")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = Commenter.objects.annotate(
        removed=Coalesce(Subquery(removals), 0), blocked=Coalesce(Subquery(blocks), 0)
    ).values_list("pk", "removed", "blocked")
    CommenterRecord.objects.bulk_create(
        [CommenterRecord(commenter_id=pk, removals=r, blocks=b) for pk, r, b in rows.iterator()],
        batch_size=500,
    )
    # The block in force now, if any (lifted blocks and expired ones do not count).
    in_force = CommenterBlock.objects.filter(lifted_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=Now())
    )
    for block in in_force.order_by("created_at"):
        CommenterRecord.objects.filter(pk=block.commenter_id).update(
            blocked=True, blocked_until=block.expires_at
        )


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0003_comment_missing_from_source"),
        ("moderation", "0004_audit_action_choices"),
    ]

    operations = [
        migrations.AddField(
            model_name="moderationstate",
            name="site",
            field=models.ForeignKey(
                null=True,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="archive.site",
            ),
        ),
        migrations.AddField(
            model_name="moderationstate",
            name="queued_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.CreateModel(
            name="CommenterRecord",
            fields=[
                (
                    "commenter",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        primary_key=True,
                        related_name="record",
                        serialize=False,
                        to="archive.commenter",
                    ),
                ),
                (
                    "removals",
                    models.PositiveIntegerField(default=0, help_text="Comments removed now."),
                ),
                ("blocks", models.PositiveIntegerField(default=0, help_text="Blocks ever made.")),
                ("blocked", models.BooleanField(default=False)),
                ("blocked_until", models.DateTimeField(blank=True, null=True)),
            ],
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="moderationstate",
            name="site",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="archive.site",
            ),
        ),
        migrations.AlterField(
            model_name="moderationstate",
            name="queued_at",
            field=models.DateTimeField(),
        ),
        migrations.RemoveIndex(
            model_name="moderationstate",
            name="moderation__status_b42804_idx",
        ),
        migrations.AddIndex(
            model_name="moderationstate",
            index=models.Index(
                fields=["status", "queued_at", "comment"], name="state_status_queue"
            ),
        ),
        migrations.AddIndex(
            model_name="moderationstate",
            index=models.Index(
                fields=["site", "status", "queued_at", "comment"], name="state_site_status_queue"
            ),
        ),
        migrations.AddIndex(
            model_name="moderationstate",
            index=models.Index(fields=["queued_at", "comment"], name="state_queue"),
        ),
        migrations.AddIndex(
            model_name="moderationstate",
            index=models.Index(fields=["site", "queued_at", "comment"], name="state_site_queue"),
        ),
    ]

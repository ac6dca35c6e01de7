"""The moderation state keeps copies of its comment's article and commenter too, each leading
an index, so the queue of one article or one commenter is an index walk at any size."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill(apps, schema_editor):
    Comment = apps.get_model("archive", "Comment")
    ModerationState = apps.get_model("moderation", "ModerationState")
    comment = Comment.objects.filter(pk=OuterRef("comment_id"))
    ModerationState.objects.update(
        article_id=Subquery(comment.values("article_id")[:1]),
        commenter_id=Subquery(comment.values("commenter_id")[:1]),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0004_comment_search"),
        ("moderation", "0005_state_for_every_comment"),
    ]

    operations = [
        migrations.AddField(
            model_name="moderationstate",
            name="article",
            field=models.ForeignKey(
                null=True,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="archive.article",
            ),
        ),
        migrations.AddField(
            model_name="moderationstate",
            name="commenter",
            field=models.ForeignKey(
                blank=True,
                null=True,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="archive.commenter",
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="moderationstate",
            name="article",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="archive.article",
            ),
        ),
        migrations.AddIndex(
            model_name="moderationstate",
            index=models.Index(
                fields=["article", "status", "queued_at", "comment"], name="state_article_queue"
            ),
        ),
        migrations.AddIndex(
            model_name="moderationstate",
            index=models.Index(
                fields=["commenter", "status", "queued_at", "comment"],
                name="state_commenter_queue",
            ),
        ),
    ]

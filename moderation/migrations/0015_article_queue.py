"""Each article's pending and escalated counts, kept by the services from now on
(`moderation.services.queue_counts`), so the article list sorts by them without counting
the states per request. Filled here from the states in one grouped query.

Frozen: status values are written out here, and nothing is imported from the app.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Count, Q

PENDING, ESCALATED = "pending", "escalated"
BATCH = 500


def fill(apps, schema_editor):
    ModerationState = apps.get_model("moderation", "ModerationState")
    ArticleQueue = apps.get_model("moderation", "ArticleQueue")
    rows = (
        ModerationState.objects.filter(status__in=[PENDING, ESCALATED])
        .order_by()
        .values_list("article_id")
        .annotate(
            pending=Count("pk", filter=Q(status=PENDING)),
            escalated=Count("pk", filter=Q(status=ESCALATED)),
        )
    )
    ArticleQueue.objects.bulk_create(
        (
            ArticleQueue(article_id=article, pending=pending, escalated=escalated)
            for article, pending, escalated in rows.iterator()
        ),
        batch_size=BATCH,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0006_disqus_source"),
        ("moderation", "0014_escalation_assignee"),
    ]

    operations = [
        migrations.CreateModel(
            name="ArticleQueue",
            fields=[
                (
                    "article",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="queue",
                        serialize=False,
                        to="archive.article",
                    ),
                ),
                ("pending", models.PositiveIntegerField(default=0)),
                ("escalated", models.PositiveIntegerField(default=0)),
            ],
            options={
                "indexes": [
                    models.Index(fields=["-pending", "article"], name="article_queue_pending"),
                    models.Index(fields=["-escalated", "article"], name="article_queue_escalated"),
                ],
            },
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]

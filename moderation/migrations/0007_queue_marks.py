"""The queue's marks: which comments each category's and each moderator's queue holds, with
copies of status and queue time (see models.CategoryMark), made here from the tags and
decisions already recorded, and kept from now on by `moderation.services.marks`.

Frozen: the statements are written out here (the same rule as `services.marks.rebuild`).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

FILL = [
    """
    INSERT INTO moderation_categorymark (comment_id, category_id, status, queued_at)
    SELECT s.comment_id, t.category_id, s.status, s.queued_at
      FROM moderation_moderationstate s
      JOIN moderation_tag t ON t.comment_id = s.comment_id AND t.retracted_at IS NULL
    UNION
    SELECT s.comment_id, r.category_id, s.status, s.queued_at
      FROM moderation_moderationstate s
      JOIN moderation_decision_reasons r ON r.decision_id = s.decision_id
    """,
    """
    INSERT INTO moderation_moderatormark (comment_id, moderator_id, status, queued_at)
    SELECT s.comment_id, t.moderator_id, s.status, s.queued_at
      FROM moderation_moderationstate s
      JOIN moderation_tag t ON t.comment_id = s.comment_id
    UNION
    SELECT s.comment_id, d.moderator_id, s.status, s.queued_at
      FROM moderation_moderationstate s
      JOIN moderation_decision d ON d.comment_id = s.comment_id
    """,
]


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0004_comment_search"),
        ("moderation", "0006_state_article_commenter"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CategoryMark",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Pending"),
                            ("approved", "Approved"),
                            ("removed", "Removed"),
                            ("escalated", "Escalated"),
                        ],
                        max_length=10,
                    ),
                ),
                ("queued_at", models.DateTimeField()),
                (
                    "category",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="moderation.category",
                    ),
                ),
                (
                    "comment",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="category_marks",
                        to="archive.comment",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["category", "status", "queued_at", "comment"],
                        name="category_mark_status_queue",
                    ),
                    models.Index(
                        fields=["category", "queued_at", "comment"], name="category_mark_queue"
                    ),
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("comment", "category"), name="category_mark_unique"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="ModeratorMark",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Pending"),
                            ("approved", "Approved"),
                            ("removed", "Removed"),
                            ("escalated", "Escalated"),
                        ],
                        max_length=10,
                    ),
                ),
                ("queued_at", models.DateTimeField()),
                (
                    "comment",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="moderator_marks",
                        to="archive.comment",
                    ),
                ),
                (
                    "moderator",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["moderator", "status", "queued_at", "comment"],
                        name="moderator_mark_status_queue",
                    ),
                    models.Index(
                        fields=["moderator", "queued_at", "comment"], name="moderator_mark_queue"
                    ),
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("comment", "moderator"), name="moderator_mark_unique"
                    )
                ],
            },
        ),
        migrations.RunSQL(FILL, reverse_sql=migrations.RunSQL.noop),
    ]

from django.contrib import admin
from django.urls import include, path

from moderation.views import (
    accounts,
    articles,
    audit,
    commenters,
    context,
    export,
    home,
    imports,
    insights,
    policy,
    queue,
    reviews,
    threads,
    users,
)

moderation_patterns = [
    # /queue/: a moderator's home
    path("queue/", queue.queue, name="queue"),
    path("queue/bulk/", queue.bulk, name="bulk"),
    path("queue/undo/", queue.undo, name="undo"),
    # /comments/<id>/…: actions on one comment, and its history
    path("comments/<int:pk>/decide/", queue.decide, name="decide"),
    path("comments/<int:pk>/tags/", queue.add_tag, name="tag"),
    path("comments/<int:pk>/history/", audit.comment_history, name="comment_history"),
    path("comments/<int:pk>/context/", context.comment_context, name="context"),
    path("tags/<int:pk>/retract/", queue.retract_tag, name="retract"),
    # /articles/…: the list with each article's queue counts, a thread with the moderation
    # controls, and as readers see it
    path("articles/", articles.article_list, name="article_list"),
    path("articles/<int:pk>/", threads.thread, name="thread"),
    path("articles/<int:pk>/public/", threads.public, name="public"),
    # /commenters/<id>/…: a commenter's record, blocks and notes
    path("commenters/<int:pk>/", commenters.commenter, name="commenter"),
    path("commenters/<int:pk>/block/", commenters.block, name="block"),
    path("commenters/<int:pk>/notes/", commenters.add_note, name="note"),
    path(
        "commenters/<int:pk>/approve-pending/",
        commenters.approve_pending,
        name="approve_pending",
    ),
    path("blocks/<int:pk>/unblock/", commenters.unblock, name="unblock"),
    # /review/…: blind second reviews (moderators); plans, gold, adjudication, quality (admins)
    path("review/", reviews.second_review, name="second_review"),
    path("review/comments/<int:pk>/", reviews.review_comment, name="review"),
    path("review/plans/", reviews.plans, name="review_plans"),
    path("review/gold/", reviews.gold_list, name="gold_list"),
    path("review/gold/comments/<int:comment_pk>/", reviews.gold_edit, name="gold_edit"),
    path("review/gold/<int:pk>/retire/", reviews.gold_retire, name="gold_retire"),
    path("review/adjudication/", reviews.adjudication_list, name="adjudication_list"),
    path("review/adjudication/<int:pk>/", reviews.adjudicate, name="adjudicate"),
    path("review/quality/", reviews.review_quality, name="review_quality"),
    # /insights/: charts of how moderation is going (team-level; per moderator for admins)
    path("insights/", insights.insights_page, name="insights"),
    path("insights/<str:chart>.csv", insights.insights_csv, name="insights_csv"),
    # /audit/: the audit history
    path("audit/", audit.audit_list, name="audit"),
    # /users/…: dashboard accounts and roles (admins)
    path("users/", users.user_list, name="users"),
    path("users/new/", users.user_create, name="user_create"),
    path("users/<int:pk>/", users.user_detail, name="user"),
    path("users/<int:pk>/roles/", users.user_roles, name="user_roles"),
    path("users/<int:pk>/active/", users.user_active, name="user_active"),
    path("users/<int:pk>/password-link/", users.user_send_link, name="user_password_link"),
    path("users/<int:pk>/unlock/", users.user_unlock, name="user_unlock"),
    # /export/…: research exports (researchers, admins)
    path("imports/", imports.import_list, name="imports"),
    path("imports/<int:pk>/", imports.import_detail, name="import"),
    path("imports/<int:pk>/status.json", imports.import_status, name="import_status"),
    path("imports/<int:pk>/retry/", imports.import_retry, name="import_retry"),
    path("imports/<int:pk>/give-up/", imports.import_give_up, name="import_give_up"),
    path("export/", export.export_page, name="export"),
    path("export/comments.<str:fmt>", export.comments_file, name="export_comments"),
    path("export/labels.<str:fmt>", export.labels_file, name="export_labels"),
    path("export/codebook.json", export.codebook_file, name="export_codebook"),
    path("export/bundle.zip", export.bundle_file, name="export_bundle"),
    # /policy/…: each site's policy and categories (admins)
    path("policy/", policy.policy_list, name="policy"),
    path("policy/<int:site_id>/", policy.policy_edit, name="policy_edit"),
    path("policy/<int:site_id>/categories/", policy.category_add, name="category_add"),
    path("policy/<int:site_id>/words/", policy.word_lists, name="words"),
    path("policy/<int:site_id>/screening/", policy.screening_quality, name="screening"),
    path("categories/<int:pk>/", policy.category_edit, name="category_edit"),
]

urlpatterns = [
    # /: the queue for moderators, the articles for everyone else
    path("", home.home, name="home"),
    # Moderation first: its article list adds the queue counts to archive's /articles/, and
    # its thread view the controls to /articles/<id>/.
    path("", include((moderation_patterns, "moderation"))),
    # /articles/…: the published record
    path("", include("archive.urls")),
    # /accounts/…: log in, log out, password reset (rate-limited)
    path("accounts/password_reset/", accounts.PasswordResetView.as_view(), name="password_reset"),
    path("accounts/", include("django.contrib.auth.urls")),
    # /admin/: Django's admin
    path("admin/", admin.site.urls),
]

# A lost lock race outside a view is 503 with Retry-After too (see moderation.middleware).
handler500 = "moderation.views.errors.server_error"

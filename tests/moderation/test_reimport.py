"""Re-importing a newer capture never moves moderation onto someone else's words."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from archive.models import Comment
from moderation import services
from moderation.models import Status
from tests import factories
from tests.conftest import PAGES

pytestmark = pytest.mark.django_db
CAPTURE = "001_c063493f46c78712.txt"


def import_capture(path):
    call_command("import_pages", str(path), site="Asbarez", stdout=StringIO())


def without_first_comment(tmp_path):
    """The page after the site deleted comment 1: the others renumbered."""
    text = (PAGES / CAPTURE).read_text("utf-8")
    start, end = text.index("  1. Ara Sarian said:"), text.index("  2. Vartan said:")
    text = text[:start] + text[end:]
    for n in range(2, 12):
        text = text.replace(f"\n  {n}. ", f"\n  {n - 1}. ")
    path = tmp_path / CAPTURE
    path.write_text(text, "utf-8")
    return path


def test_a_removal_stays_on_the_comment_it_was_made_on(tmp_path, moderator):
    import_capture(PAGES / CAPTURE)
    vartan = Comment.objects.select_related("article").get(commenter__name="Vartan")
    attack = factories.category(vartan.article.site, "personal-attack")
    services.decide(moderator, vartan, Status.REMOVED, expected_version=0, reasons=[attack])

    import_capture(without_first_comment(tmp_path))

    assert services.state_of(vartan) == (Status.REMOVED, 1)
    vartan.refresh_from_db()
    assert (vartan.position, vartan.commenter.name) == ("1", "Vartan")
    ari = Comment.objects.get(commenter__name="Ari")
    assert services.state_of(ari) == (Status.PENDING, 0)


def test_a_comment_gone_from_the_page_is_marked_and_hidden_from_readers(
    tmp_path, moderator_client, moderator
):
    import_capture(PAGES / CAPTURE)
    import_capture(without_first_comment(tmp_path))
    gone = Comment.objects.get(commenter__name="Ara Sarian")
    thread = moderator_client.get(reverse("moderation:thread", args=[gone.article_id])).content
    public = moderator_client.get(reverse("moderation:public", args=[gone.article_id])).content
    assert b"No longer on the page" in thread
    assert b"For decades Armenians" in thread
    assert b"For decades Armenians" not in public

"""The side panel's content, `/comments/<id>/context/`: a comment in its thread and its
commenter's record, as a page and as the panel's markup (`?panel=1`)."""

from urllib.parse import quote

from django.contrib.messages import get_messages
from django.urls import reverse

from moderation import services
from moderation.models import CommenterNote, Status
from tests import factories


def context_url(comment, **params):
    url = reverse("moderation:context", args=[comment.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def test_a_reply_is_shown_with_its_parent_neighbours_and_replies(moderator_client, article):
    parent = factories.make_comment(article, "The parent says budgets matter.", author="Ani")
    replies = [
        factories.make_comment(article, f"Sibling reply {i}", parent=parent, author=f"R{i}")
        for i in range(8)
    ]
    target = replies[4]
    answers = [
        factories.make_comment(article, f"Answer {i} to the target", parent=target)
        for i in range(5)
    ]
    html = moderator_client.get(context_url(target, panel=1)).content.decode()
    assert "<html" not in html  # the panel's markup alone
    assert "The parent says budgets matter." in html
    assert "In reply to 1 · Ani" in html
    # Three neighbours on each side among the parent's replies, no further.
    for shown in (1, 2, 3, 5, 6, 7):
        assert f"Sibling reply {shown}</p>" in html
    assert "Sibling reply 0</p>" not in html
    assert (
        html.index("Sibling reply 3")
        < html.index("Sibling reply 4")
        < html.index("Sibling reply 5")
    )
    # Its first replies, with their number.
    assert "5 replies" in html
    assert "Answer 0 to the target" in html
    assert "Answer 2 to the target" in html
    assert "Answer 3 to the target" not in html
    assert answers[0].pk  # made
    page = moderator_client.get(context_url(target))
    assert "<html" in page.content.decode()  # without ?panel=1: a page of its own


def test_the_commenter_record_shows_removals_by_category_block_and_notes(
    moderator_client, moderator, other_moderator, article, site
):
    attack = factories.category(site, "personal-attack")
    profanity = factories.category(site, "profanity")
    made = [factories.make_comment(article, f"Rant {i}", author="Vartan") for i in range(4)]
    for comment, reason in zip(made[:3], [attack, attack, profanity], strict=True):
        services.decide(moderator, comment, Status.REMOVED, expected_version=0, reasons=[reason])
    vartan = made[0].commenter
    services.block(other_moderator, vartan, reason="Repeated attacks")
    for i in range(4):
        services.add_commenter_note(moderator, vartan, text=f"Note number {i}")
    response = moderator_client.get(context_url(made[3], panel=1))
    html = response.content.decode()
    record = response.context["record"]
    assert record["comments"] == 4
    assert record["removals"] == [("Personal attack", 2), ("Profanity", 1)]
    assert "Blocked</strong>" in html
    assert "Repeated attacks" in html
    assert "Lift block" in html
    assert ">Block</button>" not in html
    # The latest three notes, newest first, and a link to all of them.
    assert html.index("Note number 3") < html.index("Note number 1")
    assert "Note number 0" not in html
    assert "All 4 notes" in html


def test_an_anonymous_comment_has_no_record(moderator_client, article):
    anonymous = factories.make_comment(article, "Nobody wrote this.")
    html = moderator_client.get(context_url(anonymous, panel=1)).content.decode()
    assert "there is no record to show or block" in html
    assert "Block " not in html


def test_a_note_added_from_the_panel_comes_back_to_the_queue_row(moderator_client, comment):
    back = f"/queue/?status=pending#comment-{comment.pk}"
    html = moderator_client.get(context_url(comment, panel=1, next=quote(back, safe=""))).content
    html = html.decode()
    assert f'name="next" value="{back}"' in html.replace("&amp;", "&")
    url = reverse("moderation:note", args=[comment.commenter_id])
    response = moderator_client.post(url, {"text": "Warned by email", "next": back})
    assert response.status_code == 302
    assert response["Location"] == back
    assert CommenterNote.objects.get().text == "Warned by email"
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        f"Note on {comment.commenter} added."
    ]


def test_a_block_from_elsewhere_is_not_sent_off_the_site(moderator_client, comment):
    url = reverse("moderation:block", args=[comment.commenter_id])
    response = moderator_client.post(url, {"reason": "Spam", "next": "https://evil.example/"})
    assert response["Location"] == "/queue/"  # an address off the site: the queue instead
    html = moderator_client.get(context_url(comment, next="//evil.example/")).content.decode()
    assert "evil.example" not in html


def test_the_panel_costs_the_same_queries_for_a_long_thread(
    moderator_client, moderator, article, django_assert_num_queries
):
    short = factories.make_comment(article, "Alone", author="Vartan")
    other = factories.make_article(article.site)
    crowd = factories.make_thread(other, 30, replies_each=2)
    for comment in crowd[::15]:  # top-level comments, by readers with a record
        services.add_commenter_note(moderator, comment.commenter, text="Seen before")
    # session, user, permissions, the comment, its neighbours before and after, its replies
    # and their number, the commenter's comments, removals by category, block in force,
    # notes and their number, the navigation's count of comments waiting
    with django_assert_num_queries(14):
        moderator_client.get(context_url(short, panel=1))
    with django_assert_num_queries(14):
        moderator_client.get(context_url(crowd[30], panel=1))


def test_a_researcher_may_not_open_the_panel(researcher_client, comment):
    assert researcher_client.get(context_url(comment, panel=1)).status_code == 403


def test_a_back_link_never_leads_off_the_site(moderator_client, comment):
    for trick in ("/%5Cevil.example/", "https://evil.example/", "//evil.example", "/%09/evil"):
        page = moderator_client.get(context_url(comment, next=trick)).content.decode()
        assert "evil" not in page, trick

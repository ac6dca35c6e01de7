"""Approving all of a commenter's pending comments at once, after a confirmation."""

from django.contrib.messages import get_messages
from django.urls import reverse

from moderation import services
from moderation.models import AuditEvent, Status
from tests import factories


def url_of(commenter):
    return reverse("moderation:approve_pending", args=[commenter.pk])


def said(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def confirm(client, commenter, **overrides):
    """Open the confirmation, then send its form as the page has it."""
    page = client.get(url_of(commenter))
    data = {
        "through": page.context["through"],
        "expected": page.context["count"],
        "next": page.context["next"],
        **overrides,
    }
    return page, client.post(url_of(commenter), data)


def test_the_confirmation_says_how_many_and_shows_the_first(moderator_client, article):
    made = [
        factories.make_comment(article, f"Fine comment {i}", author="Vartan") for i in range(12)
    ]
    factories.make_comment(article, "Someone else's", author="Lena")
    response = moderator_client.get(url_of(made[0].commenter))
    html = response.content.decode()
    assert "has <strong>12 pending comments</strong>" in html
    assert "Approve 12 comments</button>" in html
    assert "Fine comment 0" in html
    assert "Fine comment 9" in html
    assert "Fine comment 10" not in html  # the first ten
    assert "Someone else" not in html
    assert all(services.state_of(c)[0] == Status.PENDING for c in made)  # nothing yet


def test_confirming_approves_them_each_with_its_audit_event_and_offers_undo(
    moderator_client, moderator, article, site
):
    made = [factories.make_comment(article, f"Fine {i}", author="Vartan") for i in range(3)]
    tagged = factories.make_comment(article, "Tagged one", author="Vartan")
    services.tag(moderator, tagged, factories.category(site, "profanity"))
    removed = factories.make_comment(article, "Removed one", author="Vartan")
    attack = factories.category(site, "personal-attack")
    services.decide(moderator, removed, Status.REMOVED, expected_version=0, reasons=[attack])
    commenter = made[0].commenter
    page, response = confirm(moderator_client, commenter)
    assert page.context["count"] == 4
    assert page.context["tagged"] == 1
    assert response.status_code == 302
    assert response["Location"] == reverse("moderation:commenter", args=[commenter.pk])
    assert said(response) == [
        "3 pending comments by Vartan approved. 1 carries tags and stays pending: each needs a note"
        " on its row."
    ]
    assert [services.state_of(c)[0] for c in made] == [Status.APPROVED] * 3
    assert services.state_of(tagged)[0] == Status.PENDING
    assert services.state_of(removed)[0] == Status.REMOVED
    approvals = AuditEvent.objects.filter(action="comment.approved")
    assert sorted(approvals.values_list("comment_id", flat=True)) == [c.pk for c in made]
    # One undo takes all three back.
    offer = moderator_client.get(reverse("moderation:commenter", args=[commenter.pk]))
    assert offer.status_code == 200
    undo = moderator_client.post(
        reverse("moderation:undo"),
        {"event": ",".join(str(e) for e in approvals.values_list("pk", flat=True))},
    )
    assert undo.status_code == 302
    assert [services.state_of(c)[0] for c in made] == [Status.PENDING] * 3


def test_a_comment_posted_after_the_confirmation_is_not_approved_unseen(moderator_client, article):
    seen = factories.make_comment(article, "Seen", author="Vartan")
    page = moderator_client.get(url_of(seen.commenter))
    later = factories.make_comment(article, "Posted later", author="Vartan")
    moderator_client.post(
        url_of(seen.commenter),
        {"through": page.context["through"], "expected": 1, "next": "/queue/"},
    )
    assert services.state_of(seen)[0] == Status.APPROVED
    assert services.state_of(later)[0] == Status.PENDING


def test_a_comment_another_moderator_decided_meanwhile_keeps_their_decision(
    moderator_client, other_moderator, article, site
):
    first, second = (factories.make_comment(article, f"N{i}", author="Vartan") for i in range(2))
    page = moderator_client.get(url_of(first.commenter))
    attack = factories.category(site, "personal-attack")
    services.decide(other_moderator, second, Status.REMOVED, expected_version=0, reasons=[attack])
    response = moderator_client.post(
        url_of(first.commenter), {"through": page.context["through"], "expected": 2}
    )
    assert services.state_of(first)[0] == Status.APPROVED
    assert services.state_of(second)[0] == Status.REMOVED
    # Read again when confirmed: only what is still pending is approved.
    assert said(response) == ["1 pending comment by Vartan approved."]


def test_a_forged_post_without_the_confirmation_approves_nothing(moderator_client, article):
    comment = factories.make_comment(article, "Hmm", author="Vartan")
    response = moderator_client.post(url_of(comment.commenter), {"through": "lots"})
    assert response.status_code == 302
    assert said(response) == ["That confirmation is incomplete: open it again."]
    assert services.state_of(comment)[0] == Status.PENDING


def test_a_researcher_cannot_approve_a_commenter_s_comments(researcher_client, article):
    comment = factories.make_comment(article, "Hmm", author="Vartan")
    response = researcher_client.post(url_of(comment.commenter), {"through": comment.pk})
    assert response.status_code == 403
    assert services.state_of(comment)[0] == Status.PENDING


def test_the_commenter_page_and_the_panel_link_to_it_with_the_count(moderator_client, article):
    made = [factories.make_comment(article, f"N{i}", author="Vartan") for i in range(2)]
    commenter = made[0].commenter
    page = moderator_client.get(reverse("moderation:commenter", args=[commenter.pk]))
    assert "Approve all 2 pending…" in page.content.decode()
    panel = moderator_client.get(reverse("moderation:context", args=[made[0].pk]) + "?panel=1")
    assert "Approve all 2 pending…" in panel.content.decode()


def test_a_long_backlog_is_approved_a_bounded_number_at_a_time(
    moderator_client, article, monkeypatch
):
    monkeypatch.setattr("moderation.services.judgements.APPROVE_AT_ONCE", 2)
    made = [factories.make_comment(article, f"N{i}", author="Vartan") for i in range(3)]
    page, response = confirm(moderator_client, made[0].commenter)
    assert "Approve 2 comments</button>" in page.content.decode()
    assert said(response) == [
        "2 pending comments by Vartan approved. 1 more is pending: open the confirmation again."
    ]
    assert [services.state_of(c)[0] for c in made] == [Status.APPROVED] * 2 + [Status.PENDING]


def test_comments_sent_back_to_pending_since_the_confirmation_stop_it(
    moderator_client, moderator, article
):
    second, first = (factories.make_comment(article, f"N{i}", author="Vartan") for i in range(2))
    decision = services.decide(moderator, second, Status.REMOVED, expected_version=0, reasons=[
        factories.category(article.site, "profanity")
    ])  # fmt: skip
    page = moderator_client.get(url_of(first.commenter))
    assert page.context["approvable"] == 1
    services.decide(moderator, second, Status.PENDING, expected_version=decision.version)
    response = moderator_client.post(
        url_of(first.commenter), {"through": page.context["through"], "expected": 1}
    )
    assert said(response) == [
        "1 more of Vartan's comments became pending since the confirmation: nothing was"
        " approved; look at them again."
    ]
    assert response["Location"] == url_of(first.commenter)  # the confirmation, afresh
    assert services.state_of(first)[0] == Status.PENDING

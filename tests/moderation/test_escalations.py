"""Escalations with a reason and an assignee, and the "Assigned to me" tab."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from moderation import services
from moderation.actions import describe_change
from moderation.models import AuditEvent, ModerationState, Status
from tests import factories
from tests.factories import Named

QUEUE = "/queue/"


def escalate(client, comment, version=0, **data):
    url = reverse("moderation:decide", args=[comment.pk])
    return client.post(url, {"action": "escalate", "version": version, "next": QUEUE, **data})


def said(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def tabs_of(response):
    return {tab["label"]: (str(tab["count"]), tab["current"]) for tab in response.context["tabs"]}


def test_moderator_escalates_with_a_reason_to_another_moderator(
    moderator_client, comment, other_moderator
):
    response = escalate(
        moderator_client, comment, note="Legal should read this", assignee=other_moderator.pk
    )
    assert response.status_code == 302
    name = other_moderator.get_username()
    assert said(response) == [f"{Named(comment)} escalated and assigned to {name}."]
    state = ModerationState.objects.get(comment=comment)
    assert (state.status, state.assignee) == (Status.ESCALATED, other_moderator)
    assert state.decision.assignee == other_moderator
    assert state.decision.note == "Legal should read this"
    event = AuditEvent.objects.get(action="comment.escalated")
    assert event.after["assignee"] == other_moderator.pk
    assert event.note == "Legal should read this"
    assert describe_change(event) == f"pending → escalated, assigned to {name}"


def test_the_assignee_finds_it_under_assigned_to_me_and_others_do_not(
    moderator, moderator_client, other_moderator, client_for, article
):
    mine, theirs, nobody_s = (factories.make_comment(article, f"Text {i}") for i in range(3))
    services.decide(moderator, mine, Status.ESCALATED, expected_version=0, assignee=moderator)
    services.decide(
        moderator, theirs, Status.ESCALATED, expected_version=0, assignee=other_moderator
    )
    services.decide(moderator, nobody_s, Status.ESCALATED, expected_version=0)
    response = moderator_client.get(QUEUE, {"status": "escalated", "assigned": "me"})
    assert [c.pk for c in response.context["rows"]] == [mine.pk]
    assert tabs_of(response)["Assigned to me"] == ("1", True)
    assert tabs_of(response)["Escalated"] == ("3", False)  # every escalation, not only mine
    html = response.content.decode()
    assert "assigned to <strong>you</strong>" in html
    other = client_for(other_moderator).get(QUEUE, {"status": "escalated", "assigned": "me"})
    assert [c.pk for c in other.context["rows"]] == [theirs.pk]
    # The Escalated tab lists all three, each saying to whom.
    everyone = moderator_client.get(QUEUE, {"status": "escalated"})
    assert len(everyone.context["rows"]) == 3
    assert f"assigned to {other_moderator.get_username()}" in everyone.content.decode()


def test_any_later_decision_ends_the_assignment_and_undo_restores_it(moderator, comment):
    first = services.decide(
        moderator, comment, Status.ESCALATED, expected_version=0, assignee=moderator
    )
    approved = services.decide(moderator, comment, Status.APPROVED, expected_version=first.version)
    assert ModerationState.objects.get(comment=comment).assignee is None
    services.undo(moderator, approved.audit_event)
    state = ModerationState.objects.get(comment=comment)
    assert (state.status, state.assignee) == (Status.ESCALATED, moderator)


def test_a_researcher_cannot_be_assigned_an_escalation(moderator_client, comment):
    researcher = factories.make_researcher("rhea")
    response = escalate(moderator_client, comment, assignee=researcher.pk)
    assert response.status_code == 400
    assert ModerationState.objects.get(comment=comment).status == Status.PENDING
    assert not AuditEvent.objects.filter(action="comment.escalated").exists()


def test_a_service_call_refuses_an_assignee_who_cannot_moderate(moderator, comment):
    researcher = factories.make_researcher("rhea")
    with pytest.raises(services.ModerationError, match="only an active moderator or admin"):
        services.decide(
            moderator, comment, Status.ESCALATED, expected_version=0, assignee=researcher
        )
    assert ModerationState.objects.get(comment=comment).status == Status.PENDING


def test_only_an_escalation_takes_an_assignee(moderator_client, moderator, comment):
    url = reverse("moderation:decide", args=[comment.pk])
    response = moderator_client.post(
        url, {"action": "approve", "version": 0, "next": QUEUE, "assignee": moderator.pk}
    )
    assert response.status_code == 400
    assert ModerationState.objects.get(comment=comment).status == Status.PENDING


def test_the_escalate_form_lists_only_people_who_moderate(
    moderator_client, moderator, other_moderator, comment
):
    factories.make_researcher("rhea")
    factories.make_admin("ada")
    html = moderator_client.get(QUEUE).content.decode()
    form = html.split('data-action="escalate"')[1].split("</form>")[0]
    for name in (moderator.get_username(), other_moderator.get_username(), "ada"):
        assert f">{name}</option>" in form
    assert ">rhea</option>" not in form


def test_the_assigned_tab_belongs_to_escalations(moderator, moderator_client, article):
    mine = factories.make_comment(article, "Mine")
    waiting = factories.make_comment(article, "Waiting")
    services.decide(moderator, mine, Status.ESCALATED, expected_version=0, assignee=moderator)
    # The tab's hidden field kept while another status is chosen: that status, everyone's.
    response = moderator_client.get(QUEUE, {"status": "pending", "assigned": "me"})
    assert [c.pk for c in response.context["rows"]] == [waiting.pk]
    assert tabs_of(response)["Pending"] == ("1", True)
    assert tabs_of(response)["Assigned to me"] == ("1", False)


def test_a_researcher_does_not_see_who_an_escalation_is_assigned_to(
    moderator, researcher_client, other_moderator, comment
):
    services.decide(
        moderator, comment, Status.ESCALATED, expected_version=0, assignee=other_moderator
    )
    html = researcher_client.get(reverse("moderation:thread", args=[comment.article_id]))
    html = html.content.decode()
    assert "Escalated" in html
    assert "assigned to" not in html
    assert other_moderator.get_username() not in html

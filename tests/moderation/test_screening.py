"""Screening with the word lists: comments scored as they are stored, the Flagged tab, the
Admin's lists (versioned, audited, rescoring after), and suggestions that never act."""

from unittest import mock

from django.core.management import call_command
from django.urls import reverse

from moderation.actions import describe_change
from moderation.models import (
    FLAG_THRESHOLD,
    AuditEvent,
    Decision,
    ModerationState,
    ScreeningScore,
    Status,
    Tag,
    WordList,
)
from moderation.screening import scoring
from tests import factories

QUEUE = "/queue/"


def work():
    """Run the background tasks queued (the rescoring after a list edit), as the worker does."""
    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        call_command("task_worker", batch=True, interval=0, startup_delay=False, verbosity=0)


def flag_of(comment):
    return ModerationState.objects.get(comment=comment).flag_score


def flagged(comment):
    score = flag_of(comment)
    return score is not None and score >= FLAG_THRESHOLD


def test_a_comment_is_scored_as_it_is_stored(article):
    attack = factories.make_comment(article, "You are an idiot and a liar.")
    innocent = factories.make_comment(article, "This class will assess Scunthorpe's budget.")
    assert flag_of(attack) == 1.0
    assert not flagged(innocent)
    words = {
        s.category.slug: s for s in ScreeningScore.objects.filter(comment=attack, source="words")
    }
    assert set(words) == {"personal-attack"}
    assert words["personal-attack"].score == 1.0
    assert words["personal-attack"].version == "v0"  # the seed lists
    kinds = {(kind, term) for _, _, kind, term in words["personal-attack"].matches}
    assert kinds == {("banned", "idiot*"), ("suspect", "liar*")}
    [start, end, *_] = words["personal-attack"].matches[0]
    assert attack.body_text[start:end] == "idiot"
    # Every source had its say: the profanity model, and the personal-attack rule.
    sources = set(ScreeningScore.objects.filter(comment=attack).values_list("source", flat=True))
    assert sources == {"words", "profanity", "baseline"}
    assert not ScreeningScore.objects.filter(comment=innocent, source="words").exists()


def test_a_suspect_word_highlights_but_does_not_flag(article):
    comment = factories.make_comment(article, "That is a stupid plan.")
    [words] = ScreeningScore.objects.filter(comment=comment, source="words")
    assert words.score < FLAG_THRESHOLD
    assert not flagged(comment)
    # The profanity model is sure (it reads any insult as profane) but never flags alone.
    profanity = ScreeningScore.objects.get(comment=comment, source="profanity")
    assert profanity.score > 0.9


def test_the_personal_attack_rule_wants_a_second_person_near_the_insult(article):
    aimed = factories.make_comment(article, "You are clueless about taxes.")
    general = factories.make_comment(article, "The plan is clueless about taxes.")
    rule = dict(ScreeningScore.objects.filter(source="baseline").values_list("comment_id", "score"))
    assert rule[aimed.pk] == 0.8
    assert rule[general.pk] == 0.4
    assert flagged(aimed)
    assert not flagged(general)


def test_a_suggestion_never_tags_or_decides(article):
    factories.make_comment(article, "F*ck off, you moron.")
    assert ScreeningScore.objects.filter(source="words").count() == 2
    assert not Tag.objects.exists()
    assert not Decision.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="tag.").exists()
    assert not AuditEvent.objects.filter(action__startswith="comment.").exists()


def test_the_flagged_tab_lists_pending_flagged_comments_strongest_first(
    moderator_client, moderator, article
):
    from moderation import services

    mild = factories.make_comment(article, "A stupid idea.")
    first_bad = factories.make_comment(article, "What a moron.")
    plain = factories.make_comment(article, "I disagree.")
    second_bad = factories.make_comment(article, "Idiots, all of you.")
    decided = factories.make_comment(article, "Another moron.")
    services.decide(moderator, decided, Status.APPROVED, expected_version=0)
    response = moderator_client.get(QUEUE, {"status": "flagged"})
    assert [c.pk for c in response.context["rows"]] == [first_bad.pk, second_bad.pk]
    tabs = {tab["label"]: (str(tab["count"]), tab["current"]) for tab in response.context["tabs"]}
    assert tabs["Flagged"] == ("2", True)
    assert tabs["Pending"] == ("4", False)
    html = response.content.decode()
    assert "Suggested: <strong" in html
    assert "“moron”" in html
    assert mild.pk not in [c.pk for c in response.context["rows"]]
    assert plain.pk not in [c.pk for c in response.context["rows"]]


def test_the_flagged_tab_pages_by_strength_then_age(moderator_client, article, monkeypatch):
    monkeypatch.setattr("moderation.views.queue.PER_PAGE", 2)
    made = [factories.make_comment(article, f"Moron number {i}") for i in range(3)]
    made.append(factories.make_comment(article, "Suspicious: a stupid one"))  # not flagged
    first = moderator_client.get(QUEUE, {"status": "flagged"})
    assert [c.pk for c in first.context["rows"]] == [made[0].pk, made[1].pk]
    after = moderator_client.get(QUEUE, {"status": "flagged", "after": made[1].pk})
    assert [c.pk for c in after.context["rows"]] == [made[2].pk]


def test_an_admin_edits_the_word_lists_audited_and_rescored(
    admin_client, admin, article, site, django_capture_on_commit_callbacks
):
    newsroom_slang = factories.make_comment(article, "Typical blowhard nonsense.")
    moron = factories.make_comment(article, "What a moron.")
    assert not flagged(newsroom_slang)
    url = reverse("moderation:words", args=[site.pk])
    page = admin_client.get(url)
    fields = {
        name: text for section in page.context["sections"] for _, name, text in section["lists"]
    }
    fields["personal-attack__banned"] = fields["personal-attack__banned"].replace("moron*", "")
    fields["personal-attack__banned"] += "\nBlowhard*"
    with django_capture_on_commit_callbacks(execute=True):  # the rescoring is queued on commit
        response = admin_client.post(url, {**fields, "note": "Our readers' favourite insult"})
    assert response.status_code == 302
    new = WordList.objects.get(site=site)
    assert new.version == 1
    assert ["personal-attack", "banned", "blowhard*"] in new.terms
    event = AuditEvent.objects.get(action="screening.words")
    assert event.after["added"] == ["personal-attack banned blowhard*"]
    assert event.after["removed"] == ["personal-attack banned moron*"]
    assert describe_change(event).startswith("version 0 → 1: added personal-attack banned")
    assert event.note == "Our readers' favourite insult"
    work()  # the rescoring the edit queued
    assert flag_of(newsroom_slang) == 1.0
    assert not flagged(moron)  # no longer listed; the profanity model alone never flags


def test_a_bad_term_is_refused_and_nothing_changes(admin_client, site):
    url = reverse("moderation:words", args=[site.pk])
    response = admin_client.post(url, {"profanity__banned": "f(ck"})
    assert response.status_code == 400
    assert "letters, digits, spaces" in response.content.decode()
    assert not WordList.objects.exists()
    assert not AuditEvent.objects.filter(action="screening.words").exists()


def test_trying_a_text_shows_what_the_lists_find(admin_client, site):
    url = reverse("moderation:words", args=[site.pk])
    html = admin_client.get(url, {"try": "What an a$$hole, and my class"}).content.decode()
    assert "<q>a$$hole</q>" in html
    assert "class</q>" not in html


def test_a_moderator_cannot_edit_the_lists(moderator_client, site):
    url = reverse("moderation:words", args=[site.pk])
    assert moderator_client.post(url, {"profanity__banned": "darn"}).status_code == 403
    assert not WordList.objects.exists()


def test_screen_comments_command_scores_comments_stored_before_screening(article):
    comment = factories.make_comment(article, "Moron.")
    ScreeningScore.objects.all().delete()
    ModerationState.objects.update(flag_score=None)
    call_command("screen_comments", verbosity=0)
    assert flag_of(comment) == 1.0
    assert scoring.current_list(article.site_id)[0] == 0


def test_researchers_get_a_screening_column_per_category_and_its_recipe(
    researcher_client, article, pseudonym_key
):
    import csv
    import io
    import json

    from tests.moderation.export_helpers import CODEBOOK, COMMENTS_CSV, COMMENTS_JSONL, content

    attack = factories.make_comment(article, "You moron.")
    plain = factories.make_comment(article, "I disagree with the minister.")
    lines = content(researcher_client.get(COMMENTS_JSONL)).decode().splitlines()
    rows = {row["comment_id"]: row for row in map(json.loads, lines)}
    assert rows[attack.pk]["screening_personal_attack"] == 1.0
    assert rows[plain.pk]["screening_personal_attack"] == 0.0
    assert 0 <= rows[attack.pk]["screening_profanity"] < FLAG_THRESHOLD  # the model, weighted
    table = list(csv.DictReader(io.StringIO(content(researcher_client.get(COMMENTS_CSV)).decode())))
    by_id = {int(row["comment_id"]): row for row in table}
    assert by_id[attack.pk]["screening_personal_attack"] == "1.0"
    codebook = json.loads(researcher_client.get(CODEBOOK).content)
    recipe = codebook["screening"]
    assert recipe["threshold"] == FLAG_THRESHOLD
    assert set(recipe["sources"]) == {"words", "profanity", "baseline", "model"}
    assert recipe["word_lists"] == [{"site": article.site.name, "version": 0}]
    assert recipe["models"] == []
    assert "screening_personal_attack" in codebook["files"]["comments"]["category_columns"]


def test_an_unknown_site_is_refused_with_the_sites_there_are(site):
    import pytest
    from django.core.management.base import CommandError

    for command in ("screen_comments", "train_screening", "evaluate_screening"):
        with pytest.raises(CommandError, match=f"No site named 'Nowhere'. Sites: {site.name}."):
            call_command(command, "--site", "Nowhere")

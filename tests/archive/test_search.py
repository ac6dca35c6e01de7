"""Full-text search on both databases through one interface (archive.search), and the queue's
"Words" filter and "Best match" order built on it."""

import pytest

from archive import search
from archive.models import Comment
from tests import factories

pytestmark = pytest.mark.django_db
QUEUE = "/queue/"


@pytest.fixture
def texts(article):
    made = {
        key: factories.make_comment(article, text)
        for key, text in {
            "insult": "You are insulting everyone, you idiot.",
            "insults": "Insults again. Idiot idiot idiot!",
            "calm": "A calm remark about the budget.",
            "quote": 'He said "don\'t" -- and left; DROP TABLE is not a word here.',
        }.items()
    }
    return made


def found(text):
    return {c.pk for c in search.matching(Comment.objects.all(), text)}


def test_every_word_must_be_there(texts):
    assert found("idiot") == {texts["insult"].pk, texts["insults"].pk}
    assert found("idiot budget") == set()
    assert found("calm budget") == {texts["calm"].pk}


def test_a_word_finds_its_other_forms_and_the_words_it_starts(texts):
    assert found("insult") == {texts["insult"].pk, texts["insults"].pk}
    assert found("budg") == {texts["calm"].pk}


def test_the_search_syntax_of_the_database_is_never_read_from_what_was_typed(texts):
    for typed in ['"', "'", "don't", "DROP TABLE", "-- and", "idiot OR calm", "a:* | b", "*"]:
        search.matching(Comment.objects.all(), typed).count()  # no syntax error
    assert found("idiot OR calm") == set()  # OR is a word here, not an operator
    assert found("") == {c.pk for c in texts.values()}  # nothing typed: nothing filtered


def test_best_matches_come_first(texts):
    ranked = list(search.best_first(Comment.objects.all(), "idiot"))
    assert [c.pk for c in ranked] == [texts["insults"].pk, texts["insult"].pk]
    assert ranked[0].search_rank > ranked[1].search_rank


def test_the_text_index_follows_edits(texts):
    calm = texts["calm"]
    Comment.objects.filter(pk=calm.pk).update(body_text="Now it is about the weather.")
    assert found("budget") == set()
    assert found("weather") == {calm.pk}


def test_the_queue_orders_by_best_match_and_pages_by_it(moderator_client, article):
    weak = [factories.make_comment(article, f"idiot {'filler ' * 30}{i}") for i in range(3)]
    strong = factories.make_comment(article, "idiot idiot idiot")
    response = moderator_client.get(QUEUE, {"q": "idiot", "order": "best"})
    shown = [c.pk for c in response.context["rows"]]
    assert shown[0] == strong.pk
    assert sorted(shown[1:]) == [c.pk for c in weak]
    after = moderator_client.get(QUEUE, {"q": "idiot", "order": "best", "after": shown[1]})
    assert [c.pk for c in after.context["rows"]] == shown[2:]

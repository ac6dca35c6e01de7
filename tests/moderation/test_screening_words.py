"""Word lists matched against comments: whole words through disguises, never inside
innocent words (the Scunthorpe problem)."""

import pytest

from moderation.screening.words import BANNED, SUSPECT, Matcher, Term, check_term, fold


def matcher(*texts, category="profanity", kind=BANNED):
    return Matcher([Term(category, kind, check_term(t)) for t in texts])


def found(m, text):
    return [match.quoted for match in m.find(text)]


@pytest.mark.parametrize(
    "text",
    ["What an ass.", "ASS!", "a$$", "What an @ss", "aaasss", "Ass"],
)
def test_a_banned_word_is_found_through_case_signs_and_repeats(text):
    assert len(found(matcher("ass"), text)) == 1


@pytest.mark.parametrize(
    "text",
    [
        "This class is full.",
        "Let me assess the budget.",
        "Scunthorpe United won.",
        "The passage of the bill.",
        "An assassin.",
        "Massive cuts.",
    ],
)
def test_innocent_words_containing_a_banned_one_are_not_matched(text):
    m = matcher("ass", "cunt", "tit")
    assert m.find(text) == []


def test_masked_vowels_and_look_alike_digits():
    m = matcher("fuck*", "shit", "idiot*")
    text = "F*ck this, sh1t, you id10ts and fuuuuuck"
    assert found(m, text) == ["F*ck", "sh1t", "id10ts", "fuuuuuck"]


def test_accents_are_ignored_and_spans_are_the_original_text():
    m = matcher("idiot*", category="personal-attack")
    text = "Vous êtes un ÍDIOT, vraiment."
    [match] = m.find(text)
    assert text[match.start : match.end] == "ÍDIOT"
    assert match.term.category == "personal-attack"


def test_a_prefix_term_matches_endings_and_a_whole_word_term_does_not():
    assert found(matcher("moron*"), "morons, moronic") == ["morons", "moronic"]
    assert found(matcher("moron"), "morons, moronic, moron") == ["moron"]


def test_a_phrase_matches_across_spaces_and_hyphens():
    m = matcher("shut up", category="personal-attack")
    assert found(m, "Just shut   up. Shut-up already.") == ["shut   up", "Shut-up"]


def test_the_longer_term_wins_and_a_term_in_two_categories_counts_for_both():
    m = Matcher(
        [
            Term("profanity", BANNED, "ass"),
            Term("profanity", BANNED, "asshole"),
            Term("personal-attack", SUSPECT, "asshole"),
        ]
    )
    matches = m.find("You asshole.")
    assert [(x.quoted, x.term.category) for x in matches] == [
        ("asshole", "personal-attack"),
        ("asshole", "profanity"),
    ]


def test_fold_keeps_one_character_for_each():
    text = "Ĳ straße ÉCOLE İstanbul"
    assert len(fold(text)) == len(text)
    assert fold("ÉCOLE") == "ecole"


@pytest.mark.parametrize(
    ("term", "problem"),
    [("", "empty"), ("a", "too short"), ("id(iot", "letters, digits"), ("*", "empty")],
)
def test_a_bad_term_is_refused_with_the_reason(term, problem):
    with pytest.raises(ValueError, match=problem):
        check_term(term)


def test_a_term_is_kept_folded_and_single_spaced():
    assert check_term("  Shut   UP ") == "shut up"
    assert check_term("Idiot*") == "idiot*"

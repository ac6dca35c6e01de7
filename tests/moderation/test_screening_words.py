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


# The quick look never hides a match: on disguised terms among other words, `find` (which
# looks first) finds what the regular expression alone finds.

from hypothesis import example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from moderation.screening.seeds import default_terms  # noqa: E402
from moderation.screening.words import LOOK_ALIKES, MASKS  # noqa: E402

SEEDED = Matcher(
    [Term(*term) for term in default_terms()]
    + [Term("personal-attack", BANNED, "you're"), Term("personal-attack", BANNED, "dim-wit")]
)


@st.composite
def disguised(draw):
    text = draw(st.sampled_from([t for _, _, t in default_terms()] + ["you're", "dim-wit"]))
    text = text.rstrip("*")
    out = []
    for char in text:
        choices = [char, char.upper(), char * 3, *LOOK_ALIKES.get(char, "")]
        if char in "aeiou":
            choices += list(MASKS)
        out.append(draw(st.sampled_from(choices)))
    ending = draw(st.sampled_from(["", "s", "ing", "!", "?", ".", "!!", "ed"]))
    return "".join(out) + ending


FILLER = st.sampled_from(
    ["the", "class", "assess", "budget", "you", "u", "Scunthorpe", "—", ",", "_", "-", "."]
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(disguised(), FILLER), min_size=1, max_size=8),
    st.sampled_from([" ", "_", "-", ".", "  "]),
)
@example(["shi+!"], " ")  # a look-alike sign then punctuation: "shit" and "!"
def test_the_quick_look_never_hides_a_match(words, separator):
    text = separator.join(words)
    found = [(m.start, m.end) for m in SEEDED.find(text)]
    expected = []
    for match in SEEDED._regex.finditer(fold(text)):
        expected += [match.span()] * len(SEEDED.terms[int(match.lastgroup[1:])])
    assert found == expected

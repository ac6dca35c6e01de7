"""The page-capture parser on the five seed captures: every count and rule of issue 2, item 3.

The parser is a pure function, so these tests need no database.
"""

import pytest

from archive.importing.pages import parse_page
from archive.importing.records import ImportFailure, read_text
from tests.conftest import PAGES

SEEDS = {
    "000": "000_902d555832b6c3e9",
    "001": "001_c063493f46c78712",
    "002": "002_e39c42383e3c8fa6",
    "003": "003_dc28b77d8e265672",
    "004": "004_b01ea09c9e7a5141",
}
CHROME = [
    "Leave a Reply",
    "Your email address will not be published.",
    "top of page",
    "bottom of page",
    "1 Comment",
    "Ad for subscribing",
    "Discussion Policy",
]


def parse_seed(seed):
    return parse_page(read_text(PAGES / f"{SEEDS[seed]}.txt"), key=SEEDS[seed])


def article_of(seed):
    return parse_seed(seed).articles[0]


def comments_of(seed):
    return {c.position: c for c in article_of(seed).comments}


def test_the_five_seeds_hold_five_articles_and_21_comments():
    articles = [a for seed in SEEDS for a in parse_seed(seed).articles]
    assert len(articles) == 5
    assert sum(len(a.comments) for a in articles) == 21


@pytest.mark.parametrize(
    ("seed", "top_level", "replies"),
    [("000", 0, 0), ("001", 11, 1), ("002", 4, 2), ("003", 1, 0), ("004", 2, 0)],
)
def test_each_seed_has_its_top_level_comments_and_replies(seed, top_level, replies):
    comments = article_of(seed).comments
    assert sum(c.parent_key is None for c in comments) == top_level
    assert sum(c.parent_key is not None for c in comments) == replies


def test_001_reply_sits_under_vartans_comment():
    comments = comments_of("001")
    assert comments["2"].author == "Vartan"
    assert comments["2.1"].parent_key == comments["2"].key
    assert comments["2.1"].author == "Barséghian Ardachèce"
    assert [c.position for c in article_of("001").comments] == [
        "1", "2", "2.1", "3", "4", "5", "6", "7", "8", "9", "10", "11",
    ]  # fmt: skip


def test_002_both_replies_answer_comment_2():
    comments = comments_of("002")
    assert comments["2.1"].parent_key == comments["2"].key
    assert comments["2.2"].parent_key == comments["2"].key
    assert comments["2.1"].body_text.startswith("Of course Russia did nothing wrong")


def test_authors_are_spelled_as_published():
    authors_001 = [c.author for c in article_of("001").comments]
    assert authors_001 == [
        "Ara Sarian", "Vartan", "Barséghian Ardachèce", "Ari", "Barséghian Ardachèce",
        "Mike", "Khatchig", "HERAYER", "Ara", "Josef Bi", "GB", "Vartan_Authentic",
    ]  # fmt: skip
    assert [c.author for c in article_of("004").comments] == ["sylva portoian,MD", "N.ohanian"]


@pytest.mark.parametrize("seed", ["002", "003"])
def test_comments_without_an_author_line_are_anonymous(seed):
    assert all(c.author is None for c in article_of(seed).comments)


def test_an_anonymous_comment_keeps_its_first_words():
    # "  1. It is highly…" has no "said:": the words after the number are the comment.
    assert comments_of("002")["1"].body_text.startswith("It is highly unlikeky that any")


def test_herayers_empty_comment_is_kept():
    herayer = comments_of("001")["7"]
    assert herayer.author == "HERAYER"
    assert herayer.body_text == ""


def test_paragraphs_and_line_breaks_are_kept():
    first = comments_of("001")["1"].body_text
    paragraphs = first.split("\n\n")
    assert len(paragraphs) == 2
    assert paragraphs[0].startswith("For decades Armenians")
    assert paragraphs[0].endswith("founded on19th century tired rhetoric.")
    # A line break inside a paragraph stays a line break.
    assert paragraphs[1].split("\n") == [
        paragraphs[1].split("\n")[0],
        paragraphs[1].split("\n")[1],
    ]
    assert paragraphs[1].split("\n")[1].startswith("Fortunately, only very few of us")
    assert comments_of("001")["11"].body_text.endswith(
        "broadening their horizons through China’s involvement in the Caucasus affairs to "
        "counterbalance Russian-Mongolian domination.\n"
        "It is so painful to continually receive bad news from the Armenias."
    )


def test_the_poem_in_004_keeps_its_lines():
    poem = comments_of("004")["1"].body_text
    assert poem.startswith(
        "Mothers & their Heroes\n\nOur Brave Mothers,\nWho brought Brave Sons,\n"
        "In our Armenian blessed Highlands.\n\nOur Mothers’ tears will never dry\n"
    )
    assert poem.endswith("By barbaric satans.\n\nSylva Portoian, MD\nOctober 20, 2020")
    assert poem.count("\n\n") == 6
    assert poem.count("\n") == 26


def test_comment_text_is_exact():
    assert comments_of("003")["1"].body_text == (
        "Putin: You’re such a bastard. “It was not us (Russia) that left Karabakh.”. No, but it "
        "was you (Russia) whose “peacekeeping troops” stood by while the Azeris carried out "
        "ethnic cleansing of the Armenians of Karabakh."
    )
    assert comments_of("001")["6"].body_text == (
        "The true colors of the western governments and Russia are becoming clear again. As my "
        "father , a survivor of the Genocide, used to used to say:” They stayed idle while "
        "Armenians were being massacred, afterwards they felt sorry and opened orphanages and "
        "refugee camps”. We can only rely on our Unity and thwart the the barbaric attacks of "
        "Azerbaijan, Turkey and hired mercenaries."
    )


def test_a_replys_continuation_paragraph_stays_with_the_reply():
    reply = comments_of("002")["2.2"].body_text
    paragraphs = reply.split("\n\n")
    assert len(paragraphs) == 2
    assert paragraphs[0].startswith("“Russian officials have for many years")
    assert paragraphs[1].startswith("Armenia’s next leaders must make it clear")
    assert paragraphs[1].endswith(
        "Independent and strong is nothing Russia wants for Armenia..That simple."
    )


def test_the_bullet_list_in_001_stays_article_body():
    article = article_of("001")
    assert "• Russia’s attempts in recent years to win over and separate Turkey from NATO." in (
        article.body
    )
    assert "• Russia and Turkey have conflicting interests in Syria and Libya" in article.body
    assert article.body.endswith(
        "Only a resolute defense will safeguard the Armenian population of Artsakh."
    )
    assert all(not c.body_text.startswith("•") for c in article.comments)


def test_discussion_policy_becomes_the_sites_policy():
    for seed in ("001", "004"):
        parsed = parse_seed(seed)
        assert parsed.policy_text == (
            "Comments are welcomed and encouraged. Though you are fully responsible for the "
            "content you post, comments that include profanity, personal attacks or other "
            "inappropriate material will not be permitted. Asbarez reserves the right to block "
            "users who violate any of our posting standards and policies."
        )
        assert parsed.site_name == "Asbarez"
        assert "Discussion Policy" not in parsed.articles[0].body
        assert "Comments are welcomed" not in parsed.articles[0].body


def test_the_wix_page_names_its_site():
    assert parse_seed("003").site_name == "The Armenian Report"


@pytest.mark.parametrize("seed", SEEDS)
def test_page_chrome_is_never_content(seed):
    article = article_of(seed)
    texts = [article.title, article.deck, article.body] + [c.body_text for c in article.comments]
    for text in texts:
        for chrome in CHROME:
            assert chrome not in text, (seed, chrome)
    assert not any(c.body_text.rstrip().endswith("Comment") for c in article.comments)


def test_chrome_is_reported_as_skipped():
    skipped = {(s.kind, s.text) for s in parse_seed("003").skipped}
    assert ("chrome", "top of page") in skipped
    assert ("chrome", "bottom of page") in skipped
    assert ("chrome", "1 Comment") in skipped
    assert ("chrome", "Ad for subscribing to The Armenian Report") in skipped
    assert ("repeated title", article_of("003").title) in skipped


def test_repeated_title_is_kept_out_of_the_body():
    article = article_of("003")
    assert article.title == (
        "Putin: We Didn't Leave Karabakh, It Was Armenia That Recognized Karabakh as Part of "
        "Azerbaijan"
    )
    assert article.title not in article.body
    assert article.body.startswith("Russian President Vladimir Putin made serious remarks")
    assert article.body.endswith("extreme Armenophobia towards all ethnic Armenians.")


def test_photo_captions_are_kept_out_of_the_body():
    assert "(Photo: President of Russia" not in article_of("002").body
    assert article_of("002").body.startswith("Pres. Vladimir Putin of Russia made several")
    article = article_of("004")
    assert "speaking at the Valdai Club on Oct. 22" not in article.body
    captions = [s for s in parse_seed("004").skipped if s.kind == "caption"]
    assert len(captions) == 3


def test_004_has_a_deck():
    article = article_of("004")
    assert article.deck == (
        "Putin also admits that Russia and Turkey do not agree on Karabakh conflict settlement"
    )
    assert article.body.startswith("“Unfortunately, the fact is that violent crimes")


def test_bylines_and_the_author_box():
    assert article_of("001").byline == "Harut Sassounian"
    assert "Harut Sassounian" not in article_of("001").body
    article = article_of("002")
    assert article.byline == "Harut Sassounian"
    assert article.author_bio.startswith("California Courier Editor\nHarut Sassounian is the")
    assert "California Courier" not in article.body
    assert article.body.endswith("restart the war with Azerbaijan.")
    assert article_of("000").byline == ""


def test_titles():
    assert article_of("000").title == (
        "President of Artsakh Arayik Haroutyunyan addresses letter to Russia President "
        "Vladimir Putin"
    )
    assert article_of("001").title == "Putin Finally Reveals His Solution to the Artsakh Conflict"
    assert article_of("004").title == (
        "Putin Says Karabakh Conflict Started with ‘Brutal Crimes’ against Armenians"
    )


def test_article_body_keeps_its_own_last_line():
    # The signature after two blank lines in 000 is the letter's, not page chrome.
    assert article_of("000").body.endswith(
        "\n\nPresident of the Republic of Artsakh Arayik Haroutyunyan”"
    )


def test_comment_html_is_sanitized_paragraphs():
    comment = comments_of("004")["1"]
    assert comment.body_html.startswith("<p>Mothers &amp; their Heroes</p>")
    assert "<br>" in comment.body_html


# Broken captures: a clear error that names the line.


def test_an_empty_capture_is_refused():
    with pytest.raises(ImportFailure, match="empty"):
        parse_page("\n\n  \n", key="x")


def test_a_reply_with_nothing_to_answer_names_its_line():
    capture = (
        "Title\n\nBody.\n\n  1. Ann said:\n\n    Hi.\n\n        • Bob said:\n\n          Yo.\n"
    )
    with pytest.raises(ImportFailure) as caught:
        parse_page(capture, key="x")
    assert caught.value.line == 9
    assert "line 9" in str(caught.value)


def test_comment_numbers_going_backwards_are_refused():
    capture = "Title\n\nBody.\n\n  1. Ann said:\n\n    Hi.\n\n  1. Bob said:\n\n    Yo.\n"
    with pytest.raises(ImportFailure, match="line 9: comment number 1 follows comment 1"):
        parse_page(capture, key="x")


def test_a_wix_counter_that_disagrees_with_the_text_is_refused():
    capture = "Title\n\nBody.\n\n3 Comments\n\nOne.\n\nTwo.\n"
    with pytest.raises(ImportFailure, match="line 5: the page says '3 Comments'"):
        parse_page(capture, key="x")


def test_a_numbered_list_in_the_body_is_not_a_comment_section():
    capture = "Title\n\nIntro.\n\n  1. First point.\n  2. Second point.\n\nMore body text.\n"
    article = parse_page(capture, key="x").articles[0]
    assert article.comments == []
    assert "1. First point." in article.body
    assert article.body.endswith("More body text.")


def test_replies_nest_to_any_depth():
    capture = (
        "Title\n\nBody.\n\n  1. Ann said:\n\n    Hi.\n\n    • Bob said:\n\n      Yo.\n\n"
        "      • Cy said:\n\n        Deep.\n\n    • Di said:\n\n      Back up.\n\n  2. Ed said:\n\n"
        "    Last.\n"
    )
    comments = parse_page(capture, key="x").articles[0].comments
    position = {c.key: c.position for c in comments}
    assert [(c.position, position.get(c.parent_key), c.author, c.body_text) for c in comments] == [
        ("1", None, "Ann", "Hi."),
        ("1.1", "1", "Bob", "Yo."),
        ("1.1.1", "1.1", "Cy", "Deep."),
        ("1.2", "1", "Di", "Back up."),
        ("2", None, "Ed", "Last."),
    ]


def test_a_comments_key_is_who_said_what_not_where():
    first = comments_of("001")
    shifted = (
        parse_page(
            read_text(PAGES / f"{SEEDS['001']}.txt").replace(
                "  1. Ara Sarian said:", "  1. X said:"
            ),
            key="x",
        )
        .articles[0]
        .comments
    )
    assert {c.key for c in shifted} - {c.key for c in first.values()} == {shifted[0].key}
    assert first["2.1"].parent_key == first["2"].key


def test_identical_comments_get_distinct_keys():
    capture = "Title\n\nBody.\n\n  1. +1\n\n  2. +1\n"
    keys = [c.key for c in parse_page(capture, key="x").articles[0].comments]
    assert len(set(keys)) == 2
    assert keys[1] == f"{keys[0]}-2"


def test_a_line_of_unclosed_photo_captions_parses_in_linear_time():
    # 1 MB of "(Photo:" with no ")" took 52 s (each "(" read to the end of the line).
    import time

    text = "Title\n\n" + "(Photo:" * 150_000 + "\n\nBody.\n"
    started = time.perf_counter()
    parsed = parse_page(text, key="photos", site_name="Pages")
    assert time.perf_counter() - started < 5
    assert parsed.articles[0].title == "Title"

"""`import_wxr` on small WordPress exports written by the tests: what is imported, how it is
threaded and cleaned, and that re-imports, updates and broken files are safe.

Every export is built with `wxr(post(comment(...)))`, written to tmp_path and imported with
`call_command`, so argument parsing, the parser and the loader all run on the real database.
"""

import re
from datetime import UTC, datetime
from io import StringIO
from xml.sax.saxutils import escape

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from archive.models import Article, Comment, Commenter, Site, Source, SourceStatus
from tests.archive.test_sanitize import LINK_REL, XSS, unsafe_markup
from tests.conftest import ROOT

# A building block for exports: an element with its text, or nothing when the value is None.


def _element(name: str, value, *, cdata: bool = False) -> str:
    if value is None:
        return ""
    text = f"<![CDATA[{value}]]>" if cdata else str(value)
    return f"<{name}>{text}</{name}>"


def comment(
    comment_id=1,
    content="A comment.",
    *,
    parent=0,
    author="Ann",
    date_gmt="2024-03-01 10:00:00",
    date=None,
    approved="1",
    comment_type="comment",
    cdata=True,
) -> str:
    """One <wp:comment>. Pass None to leave an element out; with cdata=False the content is
    written verbatim, so a test can spell out its XML entities."""
    parts = [
        _element("wp:comment_id", comment_id),
        _element("wp:comment_author", author, cdata=True),
        _element("wp:comment_author_email", "reader@example.com", cdata=True),
        _element("wp:comment_date", date or date_gmt, cdata=True),
        _element("wp:comment_date_gmt", date_gmt, cdata=True),
        _element("wp:comment_content", content, cdata=cdata),
        _element("wp:comment_approved", approved, cdata=True),
        _element("wp:comment_type", comment_type, cdata=True),
        _element("wp:comment_parent", parent),
    ]
    inner = "\n        ".join(p for p in parts if p)
    return f"\n      <wp:comment>\n        {inner}\n      </wp:comment>"


def post(
    *comments: str,
    post_id=10,
    title="A story",
    post_type="post",
    status="publish",
    link="https://example.com/a-story/",
    date_gmt="2024-03-01 09:00:00",
    pub_date="Fri, 01 Mar 2024 09:00:00 +0000",
    content="The story.",
    excerpt="",
    creator="editor",
    extra="",
) -> str:
    """One <item>: a post by default; its comments in the order given. `extra` is raw XML
    put first, as a plugin's elements would be."""
    parts = [
        extra,
        _element("title", None if title is None else escape(title)),
        _element("link", link),
        _element("pubDate", pub_date),
        _element("dc:creator", creator, cdata=True),
        _element("content:encoded", content, cdata=True),
        _element("excerpt:encoded", excerpt, cdata=True),
        _element("wp:post_id", post_id),
        _element("wp:post_date_gmt", date_gmt, cdata=True),
        _element("wp:status", status, cdata=True),
        _element("wp:post_type", post_type, cdata=True),
    ]
    body = "\n    ".join(p for p in parts if p)
    return f"\n  <item>\n    {body}{''.join(comments)}\n  </item>"


def wxr(
    *items: str,
    title="Example News",
    link="https://www.example.com",
    base_site_url="https://example.com",
) -> str:
    """A whole WXR 1.2 export, as Tools > Export writes it, holding `items`."""
    channel = [
        _element("title", None if title is None else escape(title)),
        _element("link", link),
        _element("description", "News from the example"),
        _element("wp:wxr_version", "1.2"),
        _element("wp:base_site_url", base_site_url),
        _element("wp:base_blog_url", base_site_url),
    ]
    head = "\n  ".join(c for c in channel if c)
    return (
        '<?xml version="1.0" encoding="UTF-8" ?>\n'
        '<rss version="2.0"\n'
        '  xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"\n'
        '  xmlns:content="http://purl.org/rss/1.0/modules/content/"\n'
        '  xmlns:wfw="http://wellformedweb.org/CommentAPI/"\n'
        '  xmlns:dc="http://purl.org/dc/elements/1.1/"\n'
        '  xmlns:wp="http://wordpress.org/export/1.2/">\n'
        f"<channel>\n  {head}{''.join(items)}\n</channel>\n</rss>\n"
    )


def import_wxr(*args) -> str:
    """Run the command as `manage.py import_wxr ARGS` does; return what it printed."""
    out = StringIO()
    call_command("import_wxr", *[str(a) for a in args], stdout=out, stderr=StringIO())
    return out.getvalue()


def comments_by_key() -> dict[str, Comment]:
    return {c.source_key: c for c in Comment.objects.select_related("parent", "commenter")}


def row_counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in (Site, Article, Comment, Commenter)}


def database_rows() -> list:
    """Every archive row with every field, to prove an import changed nothing at all."""
    return [list(m.objects.order_by("pk").values()) for m in (Site, Article, Comment, Commenter)]


pytestmark = pytest.mark.django_db


# What becomes an article.


def test_posts_and_pages_become_articles(export):
    path = export(
        wxr(post(post_id=1, title="A post"), post(post_id=2, title="About us", post_type="page"))
    )
    import_wxr(path)
    articles = Article.objects.order_by("source_key")
    assert [(a.source_key, a.title, a.source) for a in articles] == [
        ("1", "A post", Source.WXR),
        ("2", "About us", Source.WXR),
    ]


@pytest.mark.parametrize("post_type", ["attachment", "nav_menu_item", "revision", "wp_block"])
def test_items_that_are_not_posts_or_pages_are_not_articles(export, post_type):
    path = export(wxr(post(post_id=1), post(post_id=2, post_type=post_type, title="Not one")))
    import_wxr(path)
    assert list(Article.objects.values_list("source_key", flat=True)) == ["1"]


@pytest.mark.parametrize("status", ["draft", "pending", "trash", "auto-draft", "inherit"])
def test_unpublished_posts_are_not_articles(export, status):
    path = export(wxr(post(post_id=1), post(post_id=2, status=status, title="Not yet")))
    import_wxr(path)
    assert list(Article.objects.values_list("source_key", flat=True)) == ["1"]


def test_article_keeps_title_byline_and_text(export):
    path = export(
        wxr(
            post(
                title="Rock & Roll «Բարև»",
                creator="vartan",
                content="First paragraph\nwith a break.\n\n<b>Second</b> paragraph.",
                excerpt="The <em>short</em> version.",
            )
        )
    )
    import_wxr(path)
    article = Article.objects.get()
    assert article.title == "Rock & Roll «Բարև»"
    assert article.byline == "vartan"
    assert article.body == "First paragraph\nwith a break.\n\nSecond paragraph."
    assert article.deck == "The short version."


def test_plugin_elements_named_like_rss_ones_are_not_taken_for_them(export):
    media = '<media:title xmlns:media="http://search.yahoo.com/mrss/">Photo</media:title>'
    import_wxr(export(wxr(post(title="The real title", extra=media))))
    assert Article.objects.get().title == "The real title"


def test_overlong_names_and_titles_are_cut_to_what_the_archive_holds(export):
    path = export(
        wxr(
            post(comment(1, author="a" * 400), title="t" * 600, creator="c" * 400),
            title="s" * 300,
        )
    )
    import_wxr(path)
    saved = Comment.objects.select_related("article__site", "commenter").get()
    assert saved.article.site.name == "s" * 200
    assert saved.article.title == "t" * 500
    assert saved.article.byline == "c" * 300
    assert saved.commenter.name == "a" * 300


def test_article_source_url_is_the_item_link(export):
    import_wxr(export(wxr(post(link="https://example.com/2024/03/a-story/"))))
    assert Article.objects.get().source_url == "https://example.com/2024/03/a-story/"


@pytest.mark.parametrize(
    "link", ["javascript:alert(document.cookie)", " JavaScript:alert(1)", "data:text/html,x"]
)
def test_article_link_that_is_not_a_web_address_is_not_kept(export, link):
    import_wxr(export(wxr(post(link=escape(link)))))
    assert Article.objects.get().source_url == ""


def test_article_published_at_is_utc_from_post_date_gmt(export):
    import_wxr(export(wxr(post(date_gmt="2024-03-01 21:30:05"))))
    assert Article.objects.get().published_at == datetime(2024, 3, 1, 21, 30, 5, tzinfo=UTC)


def test_article_without_post_date_gmt_is_dated_by_its_pub_date(export):
    path = export(
        wxr(post(date_gmt="0000-00-00 00:00:00", pub_date="Sat, 02 Mar 2024 10:00:00 +0400"))
    )
    import_wxr(path)
    assert Article.objects.get().published_at == datetime(2024, 3, 2, 6, 0, tzinfo=UTC)


def test_article_with_no_date_at_all_has_no_published_at(export):
    import_wxr(export(wxr(post(date_gmt="0000-00-00 00:00:00", pub_date=None))))
    assert Article.objects.get().published_at is None


# Which site.


def test_site_name_is_the_channel_title(export):
    import_wxr(export(wxr(post(), title="Asbarez & Friends")))
    assert list(Site.objects.values_list("name", flat=True)) == ["Asbarez & Friends"]
    assert Article.objects.get().site.name == "Asbarez & Friends"


def test_site_option_overrides_the_channel_title(export):
    import_wxr(export(wxr(post(), title="Blog title")), "--site", "Example Daily")
    assert list(Site.objects.values_list("name", flat=True)) == ["Example Daily"]


def test_export_without_a_channel_title_needs_the_site_option(export):
    path = export(wxr(post(), title=None))
    with pytest.raises(CommandError, match="pass --site NAME"):
        import_wxr(path)
    assert row_counts()["Site"] == 0


def test_site_domain_comes_from_the_channel_link(export):
    import_wxr(export(wxr(post(), link="https://www.asbarez.com/", base_site_url=None)))
    assert Site.objects.get().domain == "asbarez.com"


def test_site_domain_falls_back_to_base_site_url(export):
    import_wxr(export(wxr(post(), link=None, base_site_url="https://news.example.org")))
    assert Site.objects.get().domain == "news.example.org"


# Which comments, and what they say.


def test_comment_keeps_author_date_and_text(export):
    path = export(wxr(post(comment(7, "Well said.", author="Ani", date_gmt="2024-03-01 10:15:00"))))
    import_wxr(path)
    saved = Comment.objects.get()
    assert saved.source_key == "7"
    assert saved.source == Source.WXR
    assert saved.commenter.name == "Ani"
    assert saved.commenter.site.name == "Example News"
    assert saved.posted_at == datetime(2024, 3, 1, 10, 15, tzinfo=UTC)
    assert saved.body_text == "Well said."
    assert saved.body_html == "<p>Well said.</p>"
    assert saved.source_status == SourceStatus.PUBLISHED


def test_comment_posted_at_is_utc_from_comment_date_gmt_not_local_time(export):
    path = export(wxr(post(comment(1, date="2024-03-01 14:00:00", date_gmt="2024-03-01 10:00:00"))))
    import_wxr(path)
    assert Comment.objects.get().posted_at == datetime(2024, 3, 1, 10, 0, tzinfo=UTC)


def test_comment_with_zero_date_has_unknown_posted_at(export):
    import_wxr(export(wxr(post(comment(1, date_gmt="0000-00-00 00:00:00")))))
    assert Comment.objects.get().posted_at is None


def test_comment_without_author_is_anonymous(export):
    import_wxr(export(wxr(post(comment(1, author="")))))
    saved = Comment.objects.get()
    assert saved.commenter is None
    assert saved.author_name == "Anonymous"
    assert Commenter.objects.count() == 0


def test_one_commenter_per_name_on_a_site(export):
    path = export(
        wxr(
            post(comment(1, author="Ani"), comment(2, author="Bob"), post_id=1),
            post(comment(3, author="Ani"), post_id=2),
        )
    )
    import_wxr(path)
    assert sorted(Commenter.objects.values_list("name", flat=True)) == ["Ani", "Bob"]
    ani = Commenter.objects.get(name="Ani")
    assert sorted(ani.comments.values_list("source_key", flat=True)) == ["1", "3"]


def test_held_comment_is_imported_and_marked_held(export):
    import_wxr(export(wxr(post(comment(1, approved="1"), comment(2, approved="0")))))
    statuses = {c.source_key: c.source_status for c in Comment.objects.all()}
    assert statuses == {"1": SourceStatus.PUBLISHED, "2": SourceStatus.HELD}


@pytest.mark.parametrize("approved", ["spam", "trash", "post-trashed"])
def test_spam_and_trashed_comments_are_skipped(export, approved):
    import_wxr(export(wxr(post(comment(1), comment(2, approved=approved)))))
    assert list(Comment.objects.values_list("source_key", flat=True)) == ["1"]


@pytest.mark.parametrize("comment_type", ["pingback", "trackback"])
def test_pingbacks_and_trackbacks_are_not_reader_comments(export, comment_type):
    notification = comment(2, "[...] linked here [...]", comment_type=comment_type, author="Blog")
    import_wxr(export(wxr(post(comment(1), notification))))
    assert list(Comment.objects.values_list("source_key", flat=True)) == ["1"]
    assert not Commenter.objects.filter(name="Blog").exists()


def test_comment_type_empty_as_older_wordpress_writes_it_is_a_reader_comment(export):
    import_wxr(export(wxr(post(comment(1, comment_type="")))))
    assert Comment.objects.count() == 1


def test_skipped_comments_are_listed_at_verbosity_2(export):
    path = export(
        wxr(post(comment(1), comment(2, approved="spam"), comment(3, comment_type="pingback")))
    )
    output = import_wxr(path, "--verbosity", "2")
    assert "wp:comment 2: spam" in output
    assert "wp:comment 3: pingback" in output


# Threads.


def test_replies_are_threaded_at_any_depth(export):
    chain = [comment(1)] + [comment(n, parent=n - 1) for n in range(2, 13)]
    import_wxr(export(wxr(post(*chain))))
    saved = comments_by_key()
    assert saved["2"].parent == saved["1"]
    assert saved["12"].parent == saved["11"]
    assert saved["12"].position == ".".join(["1"] * 12)
    assert saved["12"].depth == 11


def test_positions_number_siblings_and_replies_as_the_page_does(export):
    path = export(
        wxr(
            post(
                comment(1, date_gmt="2024-03-01 10:00:00"),
                comment(2, date_gmt="2024-03-01 11:00:00"),
                comment(3, parent=2, date_gmt="2024-03-01 12:00:00"),
                comment(4, parent=3, date_gmt="2024-03-01 13:00:00"),
                comment(5, parent=2, date_gmt="2024-03-01 14:00:00"),
                comment(6, date_gmt="2024-03-01 15:00:00"),
            )
        )
    )
    import_wxr(path)
    positions = dict(Comment.objects.values_list("source_key", "position"))
    assert positions == {"1": "1", "2": "2", "3": "2.1", "4": "2.1.1", "5": "2.2", "6": "3"}


def test_siblings_are_ordered_by_date_then_id_whatever_the_file_order(export):
    path = export(
        wxr(
            post(
                comment(30, date_gmt="2024-03-01 12:00:00"),
                comment(10, date_gmt="2024-03-01 11:00:00"),
                comment(9, date_gmt="2024-03-01 11:00:00"),
                comment(8, date_gmt="2024-03-01 13:00:00"),
            )
        )
    )
    import_wxr(path)
    by_position = dict(Comment.objects.values_list("position", "source_key"))
    # Same date: id 9 before id 10, compared as numbers.
    assert by_position == {"1": "9", "2": "10", "3": "30", "4": "8"}


def test_thread_order_puts_each_reply_right_after_its_parent(export):
    path = export(
        wxr(
            post(
                comment(3, parent=1, date_gmt="2024-03-01 12:00:00"),
                comment(2, date_gmt="2024-03-01 11:00:00"),
                comment(1, date_gmt="2024-03-01 10:00:00"),
                comment(4, parent=3, date_gmt="2024-03-01 13:00:00"),
            )
        )
    )
    import_wxr(path)
    in_order = list(Comment.objects.order_by("thread_order").values_list("position", flat=True))
    assert in_order == ["1", "1.1", "1.1.1", "2"]


def test_reply_arriving_before_its_parent_in_the_file_is_still_threaded(export):
    import_wxr(export(wxr(post(comment(2, parent=1), comment(1, date_gmt="2024-03-01 09:00:00")))))
    saved = comments_by_key()
    assert saved["2"].parent == saved["1"]
    assert saved["2"].position == "1.1"


def test_reply_to_a_held_comment_stays_under_it(export):
    import_wxr(export(wxr(post(comment(1, approved="0"), comment(2, parent=1)))))
    saved = comments_by_key()
    assert saved["2"].parent == saved["1"]


def test_reply_to_a_spam_comment_is_kept_at_top_level(export):
    path = export(
        wxr(
            post(
                comment(1, date_gmt="2024-03-01 10:00:00"),
                comment(2, approved="spam", date_gmt="2024-03-01 11:00:00"),
                comment(3, parent=2, date_gmt="2024-03-01 12:00:00"),
            )
        )
    )
    import_wxr(path)
    saved = comments_by_key()
    assert set(saved) == {"1", "3"}
    assert saved["3"].parent is None
    assert saved["3"].position == "2"


def test_reply_to_a_comment_missing_from_the_file_is_kept_at_top_level(export):
    import_wxr(export(wxr(post(comment(5, parent=404)))))
    saved = Comment.objects.get()
    assert saved.parent is None
    assert saved.position == "1"


def test_comments_thread_within_their_own_article(export):
    path = export(
        wxr(
            post(comment(1), comment(2, parent=1), post_id=1),
            post(comment(3), post_id=2),
        )
    )
    import_wxr(path)
    first, second = Article.objects.order_by("source_key")
    assert sorted(first.comments.values_list("source_key", flat=True)) == ["1", "2"]
    assert list(second.comments.values_list("position", flat=True)) == ["1"]


# Text, HTML and encodings.


def test_body_text_keeps_line_breaks_and_paragraphs(export):
    import_wxr(export(wxr(post(comment(1, "First line\nsecond line\n\nNew paragraph.")))))
    saved = Comment.objects.get()
    assert saved.body_text == "First line\nsecond line\n\nNew paragraph."
    assert saved.body_html == "<p>First line<br>\nsecond line</p>\n<p>New paragraph.</p>"


def test_body_text_is_the_text_without_tags(export):
    content = 'I <b>agree</b> with <a href="https://example.com/x">this</a>.'
    import_wxr(export(wxr(post(comment(1, content)))))
    assert Comment.objects.get().body_text == "I agree with this."


def test_quoted_reply_keeps_quote_and_answer_apart(export):
    content = "Ani wrote:\n<blockquote>It was fine.</blockquote>\nIt was not."
    import_wxr(export(wxr(post(comment(1, content)))))
    saved = Comment.objects.get()
    assert saved.body_text == "Ani wrote:\n\nIt was fine.\n\nIt was not."
    assert saved.body_html == (
        "<p>Ani wrote:</p><blockquote><p>It was fine.</p></blockquote><p>It was not.</p>"
    )


def test_armenian_cyrillic_and_emoji_are_kept(export):
    text = "«Բարև», Ани! 😀🇦🇲"
    path = export(wxr(post(comment(1, text, author="Արամ"), title="Բարև աշխարհ")))
    import_wxr(path)
    saved = Comment.objects.select_related("commenter", "article").get()
    assert saved.body_text == text
    assert saved.commenter.name == "Արամ"
    assert saved.article.title == "Բարև աշխարհ"


def test_html_entities_inside_cdata_are_decoded_in_body_text(export):
    content = "caf&eacute; &laquo;&#1330;&#1377;&#1408;&#1415;&raquo; &#x1F600; &lt;3"
    import_wxr(export(wxr(post(comment(1, content)))))
    saved = Comment.objects.get()
    assert saved.body_text == "café «Բարև» 😀 <3"
    assert "&lt;3" in saved.body_html


def test_xml_entities_outside_cdata_are_decoded(export):
    content = "Tom &amp; Jerry &lt;b&gt;bold&lt;/b&gt; &#1330;&#x1F600;"
    import_wxr(export(wxr(post(comment(1, content, cdata=False)))))
    saved = Comment.objects.get()
    assert saved.body_text == "Tom & Jerry bold Բ😀"
    assert saved.body_html == "<p>Tom &amp; Jerry <b>bold</b> Բ😀</p>"


def test_escaped_script_outside_cdata_is_still_sanitized(export):
    content = "hi &lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(2)&gt;"
    import_wxr(export(wxr(post(comment(1, content, cdata=False)))))
    body_html = Comment.objects.get().body_html
    assert "<script" not in body_html
    assert "onerror" not in body_html
    assert unsafe_markup(body_html) == []


def test_export_with_a_byte_order_mark_imports(tmp_path):
    path = tmp_path / "bom.xml"
    path.write_bytes(b"\xef\xbb\xbf" + wxr(post(comment(1, "Բարև"))).encode())
    import_wxr(path)
    assert Comment.objects.get().body_text == "Բարև"


def test_export_in_a_declared_legacy_encoding_imports(tmp_path):
    document = wxr(post(comment(1, "Привет"))).replace('encoding="UTF-8"', 'encoding="KOI8-R"')
    path = tmp_path / "koi8.xml"
    path.write_bytes(document.encode("koi8-r"))
    import_wxr(path)
    assert Comment.objects.get().body_text == "Привет"


# Re-importing and updating.


THREAD = wxr(
    post(
        comment(1, "First.", author="Ani", date_gmt="2024-03-01 10:00:00"),
        comment(2, "Second.", author="Bob", date_gmt="2024-03-01 11:00:00"),
        comment(3, "A reply.", parent=1, author="Bob", date_gmt="2024-03-01 12:00:00"),
        comment(4, "Held.", approved="0", author="Cat", date_gmt="2024-03-01 13:00:00"),
    )
)


def test_reimporting_the_same_file_changes_nothing(export):
    path = export(THREAD)
    import_wxr(path)
    before = database_rows()
    import_wxr(path)
    assert database_rows() == before


def test_reimporting_the_same_file_says_everything_is_unchanged(export):
    path = export(THREAD)
    first = import_wxr(path)
    second = import_wxr(path)
    assert "articles 1 new, 0 updated, 0 unchanged; comments 4 new" in first
    assert (
        "articles 0 new, 0 updated, 1 unchanged; comments 0 new, 0 updated, 4 unchanged; "
        "commenters 0 new"
    ) in second


def test_edited_comment_is_updated_in_place(export):
    path = export(THREAD)
    import_wxr(path)
    pks = dict(Comment.objects.values_list("source_key", "pk"))
    export(THREAD.replace("Second.", "Second, edited."))
    output = import_wxr(path)
    assert dict(Comment.objects.values_list("source_key", "pk")) == pks
    assert Comment.objects.get(source_key="2").body_text == "Second, edited."
    assert "comments 0 new, 1 updated, 3 unchanged" in output


def test_new_reply_is_added_and_existing_rows_keep_their_keys(export):
    path = export(THREAD)
    import_wxr(path)
    article_pk = Article.objects.get().pk
    pks = dict(Comment.objects.values_list("source_key", "pk"))
    reply = comment(5, "Late reply.", parent=3, author="Dan", date_gmt="2024-03-02 09:00:00")
    export(THREAD.replace("</item>", f"{reply}\n  </item>"))
    import_wxr(path)
    saved = comments_by_key()
    assert {key: saved[key].pk for key in pks} == pks
    assert Article.objects.get().pk == article_pk
    assert saved["5"].parent == saved["3"]
    assert saved["5"].position == "1.1.1"
    assert saved["5"].commenter.name == "Dan"


def test_comment_approved_since_the_last_export_is_no_longer_held(export):
    path = export(THREAD)
    import_wxr(path)
    held = Comment.objects.get(source_key="4")
    held_mark = "<wp:comment_approved><![CDATA[0]]></wp:comment_approved>"
    assert THREAD.count(held_mark) == 1
    export(THREAD.replace(held_mark, held_mark.replace("[0]", "[1]")))
    import_wxr(path)
    now = Comment.objects.get(source_key="4")
    assert now.pk == held.pk
    assert now.source_status == SourceStatus.PUBLISHED


def test_dry_run_writes_nothing(export):
    path = export(THREAD)
    output = import_wxr(path, "--dry-run")
    assert output.startswith("Would import export.xml")
    assert row_counts() == {"Site": 0, "Article": 0, "Comment": 0, "Commenter": 0}


# Broken files: a CommandError naming the file and the place, and nothing written.


def assert_refused(paths, *expected: str) -> str:
    """Import `paths`; the command must fail naming each of `expected` and write nothing."""
    before = database_rows()
    with pytest.raises(CommandError) as caught:
        import_wxr(*paths)
    message = str(caught.value)
    for part in expected:
        assert part in message
    assert database_rows() == before
    return message


def line_of(document: str, text: str) -> int:
    return document[: document.index(text)].count("\n") + 1


def test_malformed_xml_is_refused_naming_the_file_and_line(export):
    document = THREAD.replace("<wp:comment_parent>0</wp:comment_parent>", "<wp:comment_parent>0", 1)
    path = export(document)
    expected_line = line_of(document, "</wp:comment>")
    message = assert_refused([path], str(path), f"line {expected_line}:", "malformed XML")
    assert "nothing was written" in message


def test_truncated_file_is_refused(export):
    path = export(THREAD[: len(THREAD) // 2])
    assert_refused([path], str(path), "malformed XML")


def test_empty_file_is_refused(export):
    path = export("")
    assert_refused([path], str(path), "line 1")


def test_html_entity_outside_cdata_is_malformed_xml(export):
    document = wxr(post(comment(1, "caf&eacute;", cdata=False)))
    path = export(document)
    assert_refused([path], str(path), f"line {line_of(document, 'caf&eacute;')}", "malformed XML")


def test_comment_missing_its_id_is_refused_naming_item_and_comment(export):
    path = export(wxr(post(comment(1), comment(None), title="Hot story")))
    assert_refused(
        [path], str(path), "item 1 ('Hot story'), post 10 > wp:comment 2", "wp:comment_id"
    )


@pytest.mark.parametrize("bad_id", ["12a", "", "-3", "1_0", "٣", "1.5"])
def test_non_numeric_comment_id_is_refused(export, bad_id):
    path = export(wxr(post(comment(bad_id))))
    assert_refused([path], str(path), "wp:comment 1", f"wp:comment_id {bad_id!r} is not a number")


def test_non_numeric_parent_is_refused(export):
    path = export(wxr(post(comment(1), comment(2, parent="one"))))
    assert_refused([path], str(path), "wp:comment 2", "'one' is not a number")


@pytest.mark.parametrize("approved", ["maybe", "2", "approved", ""])
def test_unknown_comment_approved_value_is_refused(export, approved):
    path = export(wxr(post(comment(1), comment(2, approved=approved))))
    assert_refused([path], str(path), "post 10 > wp:comment 2", f"is {approved!r}")


def test_comment_without_comment_approved_is_refused(export):
    path = export(wxr(post(comment(1, approved=None))))
    assert_refused([path], str(path), "wp:comment 1", "wp:comment_approved")


def test_unreadable_comment_date_is_refused(export):
    path = export(wxr(post(comment(1, date_gmt="yesterday"))))
    assert_refused([path], str(path), "wp:comment 1 > wp:comment_date_gmt", "'yesterday'")


def test_comment_id_appearing_twice_is_refused(export):
    path = export(wxr(post(comment(1), comment(1, "Again."))))
    assert_refused([path], str(path), "wp:comment 1", "appears twice")


def test_post_id_appearing_twice_is_refused(export):
    path = export(wxr(post(post_id=5), post(post_id=5, title="Other")))
    assert_refused([path], str(path), "item 2 ('Other')", "post id 5 appears twice")


def test_post_missing_its_id_is_refused(export):
    path = export(wxr(post(post_id=None, title="No id")))
    assert_refused([path], str(path), "item 1 ('No id')", "missing <wp:post_id>")


def test_replies_to_each_other_in_a_loop_are_refused(export):
    path = export(wxr(post(comment(1), comment(2, parent=3), comment(3, parent=2))))
    assert_refused([path], str(path), "post 10", "loop")


def test_xml_bomb_is_refused_without_expanding(export):
    lol = "".join(f'  <!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">\n' for n in range(1, 10))
    document = (
        '<?xml version="1.0"?>\n'
        '<!DOCTYPE rss [\n  <!ENTITY lol0 "lol">\n'
        + lol
        + "]>\n"
        + wxr(post(comment(1, "&lol9;", cdata=False))).split("\n", 1)[1]
    )
    path = export(document)
    assert_refused([path], str(path), "line 2", "DOCTYPE")


def test_external_entity_is_refused(export):
    document = (
        '<?xml version="1.0"?>\n'
        '<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
        + wxr(post(comment(1, "&secret;", cdata=False))).split("\n", 1)[1]
    )
    path = export(document)
    assert_refused([path], str(path), "DOCTYPE")


def test_plain_rss_feed_is_not_a_wordpress_export(export):
    path = export(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>'
    )
    assert_refused([path], str(path), "not a WordPress export")


def test_xml_that_is_not_rss_is_refused(export):
    path = export('<?xml version="1.0"?><html><body>hi</body></html>')
    assert_refused([path], str(path), "line 1", "<html>")


def test_missing_file_is_refused(tmp_path):
    path = tmp_path / "nowhere.xml"
    assert_refused([path], str(path), "no such file")


def test_one_broken_file_among_several_writes_nothing_for_any(export):
    good = export(THREAD, "good.xml")
    also_good = export(wxr(post(comment(1), post_id=99), title="Other Site"), "also-good.xml")
    broken = export(wxr(post(comment("x"))), "broken.xml")
    message = assert_refused([good, broken, also_good], str(broken), "wp:comment_id 'x'")
    assert "1 of 3 file(s) cannot be imported" in message
    assert row_counts() == {"Site": 0, "Article": 0, "Comment": 0, "Commenter": 0}


def test_broken_update_leaves_the_earlier_import_untouched(export):
    path = export(THREAD)
    import_wxr(path)
    before = database_rows()
    export(THREAD.replace("Second.", "Edited.").replace("<wp:comment_id>4<", "<wp:comment_id>4x<"))
    assert_refused([path], str(path), "wp:comment_id '4x'")
    assert database_rows() == before
    assert Comment.objects.get(source_key="2").body_text == "Second."


# The thread page: imported payloads are never markup. The page's own layout may carry a
# <script src> or a <form>, so fragments are looked for in the comments section.

XSS_FRAGMENTS = {
    "script": "<script",
    "img-onerror": "onerror",
    "onclick": "onclick",
    "body-onload": "onload",
    "svg-onload": "<svg",
    "javascript-href": "javascript:",
    "mixed-case": "javascript:",
    "tab-entity": "ascript:",
    "data-url": "data:text/html",
    "style-tag": "<style",
    "style-attr": "style=",
    "iframe": "<iframe",
    "object": "<object",
    "form": 'action="https://evil.example/',
}


def thread_page(client, article) -> str:
    response = client.get(reverse("moderation:thread", args=[article.pk]))
    assert response.status_code == 200
    return response.content.decode()


def comments_section(html: str) -> str:
    section = re.search(r'<section class="comments".*?</section>', html, re.S)
    assert section, "the thread page has no comments section"
    return section[0]


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [(XSS[name][0], fragment) for name, fragment in XSS_FRAGMENTS.items()],
    ids=XSS_FRAGMENTS.keys(),
)
def test_imported_xss_payload_is_not_markup_on_the_thread_page(
    export, researcher_client, payload, fragment
):
    import_wxr(export(wxr(post(comment(1, f"Before {payload} after")))))
    html = thread_page(researcher_client, Article.objects.get())
    assert payload not in html
    assert fragment.lower() not in comments_section(html).lower()
    bodies = re.findall(r'<div class="comment-body">(.*?)</div>', html, re.S)
    assert len(bodies) == 1
    assert unsafe_markup(bodies[0]) == []
    assert "Before" in bodies[0]
    assert "after" in bodies[0]


def test_imported_allowed_markup_is_shown_on_the_thread_page(export, researcher_client):
    content = (
        '<b>Bold</b> and <em>stressed</em>, a <a href="https://example.com/src">source</a>\n'
        "<blockquote>A quote</blockquote>\nline one\nline two"
    )
    import_wxr(export(wxr(post(comment(1, content)))))
    html = thread_page(researcher_client, Article.objects.get())
    assert "<b>Bold</b>" in html
    assert "<em>stressed</em>" in html
    assert f'<a href="https://example.com/src" rel="{LINK_REL}">source</a>' in html
    assert "<blockquote><p>A quote</p></blockquote>" in html
    assert "<p>line one<br>\nline two</p>" in html


def test_thread_page_does_not_link_to_a_javascript_item_link(export, researcher_client):
    import_wxr(export(wxr(post(link="javascript:alert(document.domain)"))))
    html = thread_page(researcher_client, Article.objects.get())
    assert "javascript:" not in html.lower()


def test_held_comment_is_badged_on_the_thread_page(export, researcher_client):
    import_wxr(export(wxr(post(comment(1, "Waiting.", approved="0")))))
    html = thread_page(researcher_client, Article.objects.get())
    assert 'class="badge held"' in html


# Read liberally (issue 11): namespaces however declared, clear words for what is not an
# export, and warnings (not failures) for what can be left out. The small exports named here
# are in fixtures/wxr/.

WXR_FIXTURES = ROOT / "fixtures" / "wxr"


@pytest.mark.parametrize(
    "namespace",
    [
        "https://wordpress.org/export/1.2/",
        "http://wordpress.org/export/1.0/",
        "http://wordpress.org/export/1.1/",
        "https://wordpress.org/export/1.1",
        "http://www.wordpress.org/export/1.2/",
    ],
)
def test_export_imports_whatever_the_scheme_or_version_of_its_namespace(export, namespace):
    version = namespace.rstrip("/").rsplit("/", 1)[1]
    document = THREAD.replace("http://wordpress.org/export/1.2/", namespace).replace(
        "/export/1.2/excerpt/", f"/export/{version}/excerpt/"
    )
    import_wxr(export(document))
    assert Article.objects.get().source_key == "10"
    assert Comment.objects.count() == 4


def test_export_with_https_namespaces_and_its_own_prefix_imports():
    output = import_wxr(WXR_FIXTURES / "https-namespaces.xml")
    assert "Imported https-namespaces.xml -> Test Site" in output
    comment = Comment.objects.select_related("article", "commenter").get()
    assert comment.article.title == "Hello world!"
    assert comment.commenter.name == "A WordPress Commenter"
    assert comment.body_text == "Hi, this is a comment."


def test_plain_rss_with_items_is_not_a_wordpress_export_and_names_the_item():
    path = WXR_FIXTURES / "plain-rss.xml"
    message = assert_refused(
        [path],
        f"{path}: item 1 ('Council approves the new bridge')",
        "not a WordPress export: no <wp:…> elements",
    )
    assert "wp:post_id" not in message


def test_export_in_another_wordpress_namespace_names_it(export):
    path = export(THREAD.replace("wordpress.org/export", "wordpress.com/export"))
    assert_refused([path], "not a WordPress export", "http://wordpress.com/export/1.2/")


def test_malformed_urls_are_left_out_with_a_warning_naming_the_element():
    output = import_wxr(WXR_FIXTURES / "bad-urls.xml")
    assert (
        "bad-urls.xml: item 1 ('A post with a broken link'), post 7 > link: "
        "'http://[oops/2024/a-post/' is not a valid URL"
    ) in output
    assert "bad-urls.xml: rss > channel > wp:base_site_url: 'http://[oops'" in output
    articles = dict(Article.objects.values_list("source_key", "source_url"))
    assert articles == {"7": "", "8": "https://broken-links.example.org/2024/good/"}
    assert Site.objects.get().domain == ""
    assert Comment.objects.get().body_text == "Still here."


def test_empty_file_says_it_is_empty():
    path = WXR_FIXTURES / "empty.xml"
    message = assert_refused([path], f"{path}: line 1: the file is empty")
    assert "malformed" not in message


def test_file_of_white_space_says_it_is_empty(export):
    path = export("\n  \n")
    assert_refused([path], f"{path}: line 1: the file is empty")


def test_latin1_bytes_in_a_utf8_export_name_encoding_offset_and_element():
    path = WXR_FIXTURES / "latin1-declared-utf8.xml"
    offset = path.read_bytes().index(b"\xe9")
    message = assert_refused(
        [path],
        f"{path}: line 19: not valid UTF-8 (the encoding the file declares)",
        f"byte 0xe9 at offset {offset}",
        "inside item 1 ('New menu at the town hall') > wp:comment > wp:comment_content",
    )
    assert "malformed XML" not in message


def test_encoding_the_xml_parser_cannot_read_is_named(export):
    path = export(THREAD.replace('encoding="UTF-8"', 'encoding="Shift_JIS"'))
    assert_refused([path], "line 1", "'Shift_JIS'", "save the export as UTF-8")


def test_unknown_encoding_is_named(export):
    path = export(THREAD.replace('encoding="UTF-8"', 'encoding="klingon-8"'))
    assert_refused([path], "line 1", "'klingon-8', which is not one we know")


def test_malformed_xml_names_the_element_it_is_in(export):
    document = THREAD.replace("<wp:comment_parent>0</wp:comment_parent>", "<wp:comment_parent>0", 1)
    assert_refused([export(document)], "inside item 1 ('A story') > wp:comment")


def test_comment_longer_than_wordpress_allows_is_cut_with_a_warning(export):
    output = import_wxr(export(wxr(post(comment(7, "word " * 20_000)))))
    assert "post 10 > wp:comment 7 > wp:comment_content: cut to its first 65,525 bytes" in output
    assert len(Comment.objects.get().body_text.encode()) <= 65_525


def test_comment_of_64_kb_of_unclosed_tags_is_cut_and_reported(export):
    output = import_wxr(export(wxr(post(comment(7, "<b>bold " * 8_000)))))
    assert "wp:comment 7 > wp:comment_content" in output
    assert "unclosed formatting elements removed (their text kept)" in output
    saved = Comment.objects.get()
    assert saved.body_text.startswith("bold bold")
    assert saved.body_html.count("<b>") <= 8


def test_elements_nested_deeper_than_an_export_has_are_refused_as_read(tmp_path):
    # Each open element is remembered while it is open: a million took 200 MB.
    head = (
        '<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>Deep</title>'
        "<item><title>t</title><wp:post_id>1</wp:post_id>"
    )
    path = tmp_path / "deep.xml"
    path.write_text(head + "<a>" * 100_000 + "</a>" * 100_000 + "</item></channel></rss>")
    with pytest.raises(CommandError) as caught:
        call_command("import_wxr", str(path), stdout=StringIO())
    message = str(caught.value)
    assert "elements nested more than 64 deep" in message
    assert "inside item 1 ('t') > a > a > … > a > a > a" in message


def test_a_reply_chain_too_deep_to_number_is_refused_before_it_fills_memory():
    # 30,000 comments each answering the last took 1 GB (every level numbered first).
    import tracemalloc
    from io import BytesIO

    from archive.importing.records import ImportFailure
    from archive.importing.wxr import parse_wxr

    chain = "".join(
        f"<wp:comment><wp:comment_id>{n}</wp:comment_id><wp:comment_parent>{n - 1}"
        "</wp:comment_parent><wp:comment_content>c</wp:comment_content>"
        "<wp:comment_approved>1</wp:comment_approved></wp:comment>"
        for n in range(1, 5_001)
    )
    document = (
        '<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>Chain</title>'
        f"<item><title>t</title><wp:post_id>1</wp:post_id>{chain}</item></channel></rss>"
    ).encode()
    tracemalloc.start()
    try:
        with pytest.raises(ImportFailure, match="is nested too deep to number"):
            parse_wxr(BytesIO(document))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 25_000_000, f"{peak:,} bytes at peak"

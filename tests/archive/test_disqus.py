"""`import_disqus` on small Disqus exports written by the tests (and the ones in
fixtures/disqus/): what is imported, how it is threaded and cleaned, what is never kept
(e-mail and IP addresses), and that re-imports, updates and broken files are safe.

Every export is built with `disqus(thread(...), post(...))`, in Disqus's documented export
format, written to tmp_path and imported with `call_command`, so argument parsing, the parser
and the loader all run on the real database; a few tests call `parse_disqus` directly.
"""

import tracemalloc
from datetime import UTC, datetime
from io import BytesIO, StringIO
from xml.sax.saxutils import escape

import pytest
from django.core.management import CommandError, call_command

from archive.importing.disqus import parse_disqus
from archive.importing.formats import FORMATS, import_file
from archive.importing.records import ImportFailure
from archive.models import Article, Comment, Commenter, Site, Source, SourceStatus
from moderation.models import AuditEvent
from tests.archive.test_sanitize import XSS, unsafe_markup
from tests.archive.test_wxr import (
    comments_by_key,
    comments_section,
    database_rows,
    line_of,
    row_counts,
    thread_page,
)
from tests.conftest import ROOT

DISQUS_FIXTURES = ROOT / "fixtures" / "disqus"
EMAIL = "reader@mail.example"
IP = "192.0.2.44"


def _element(name: str, value, *, cdata: bool = False) -> str:
    if value is None:
        return ""
    text = f"<![CDATA[{value}]]>" if cdata else str(value)
    return f"<{name}>{text}</{name}>"


def _author(name, username, anonymous) -> str:
    parts = [
        _element("name", None if name is None else escape(name)),
        _element("email", EMAIL),
        _element("isAnonymous", anonymous),
        _element("username", username),
    ]
    return "<author>" + "".join(parts) + "</author>"


def thread(
    key=1,
    *,
    title="A story",
    link="https://example.com/a-story/",
    created="2024-03-01T09:00:00Z",
    forum="example-news",
    deleted="false",
    message="",
) -> str:
    """One <thread> (an article). Pass None to leave an element out."""
    parts = [
        _element("id", f"{key} https://example.com/?p={key}"),
        _element("forum", forum),
        '<category dsq:id="1"/>',
        _element("link", None if link is None else escape(link)),
        _element("title", None if title is None else escape(title)),
        _element("message", message, cdata=True),
        _element("createdAt", created),
        _author("Example News", "example_news", "false"),
        _element("ipAddress", IP),
        _element("isClosed", "false"),
        _element("isDeleted", deleted),
    ]
    attribute = "" if key is None else f' dsq:id="{key}"'
    return f"\n  <thread{attribute}>\n    " + "\n    ".join(p for p in parts if p) + "\n  </thread>"


def post(
    key=1,
    message="A comment.",
    *,
    thread=1,
    parent=None,
    author="Ann",
    username=None,
    anonymous="false",
    created="2024-03-01T10:00:00Z",
    deleted="false",
    spam="false",
    approved=None,
    cdata=True,
) -> str:
    """One <post> (a comment) of thread `thread`, replying to `parent` if given. Pass None
    to leave an element out; with cdata=False the message is written verbatim."""
    parts = [
        "<id/>",
        _element("message", message, cdata=cdata),
        _element("createdAt", created),
        _element("isDeleted", deleted),
        _element("isSpam", spam),
        _element("isApproved", approved),
        _author(author, username, anonymous),
        _element("ipAddress", IP),
        "" if thread is None else f'<thread dsq:id="{thread}"/>',
        "" if parent is None else f'<parent dsq:id="{parent}"/>',
    ]
    attribute = "" if key is None else f' dsq:id="{key}"'
    return f"\n  <post{attribute}>\n    " + "\n    ".join(p for p in parts if p) + "\n  </post>"


def disqus(*entries: str) -> str:
    """A whole export, as Disqus writes it: the namespaces, a category, then `entries`."""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<disqus xmlns="http://disqus.com"\n'
        '        xmlns:dsq="http://disqus.com/disqus-internals"\n'
        '        xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"\n'
        '        xsi:schemaLocation="http://disqus.com/api/schemas/1.0/disqus.xsd '
        'http://disqus.com/api/schemas/1.0/internals.xsd">\n'
        '  <category dsq:id="1">\n    <forum>example-news</forum>\n'
        "    <title>General</title>\n    <isDefault>true</isDefault>\n  </category>"
        f"{''.join(entries)}\n</disqus>\n"
    )


def import_disqus(*args) -> str:
    """Run the command as `manage.py import_disqus ARGS` does; return what it printed."""
    out = StringIO()
    call_command("import_disqus", *[str(a) for a in args], stdout=out, stderr=StringIO())
    return out.getvalue()


def positions() -> dict[str, str]:
    return dict(Comment.objects.values_list("source_key", "position"))


pytestmark = pytest.mark.django_db


# The example in fixtures/disqus/ (the README's).


def test_example_export_imports_its_thread_with_the_comments_readers_saw():
    output = import_disqus(DISQUS_FIXTURES / "example.xml")
    assert "Imported example.xml -> example-gazette: articles 1 new" in output
    article = Article.objects.get()
    assert (article.source, article.source_key) == (Source.DISQUS, "2001")
    assert article.title == "Council approves the new bridge"
    # 3004 is spam, 3005 deleted; 3002 answers 3001 (listed after it); 3006 answered 3005.
    assert positions() == {"3001": "1", "3002": "1.1", "3003": "2", "3006": "3"}
    assert Site.objects.get().domain == "gazette.example.org"


# Threads become articles.


def test_thread_becomes_an_article_keyed_by_its_dsq_id(export):
    path = export(
        disqus(
            thread(77, title="Rock & Roll", link="https://example.com/2024/03/rock/"),
            post(1, thread=77),
        )
    )
    import_disqus(path)
    article = Article.objects.get()
    assert article.source == Source.DISQUS
    assert article.source_key == "77"
    assert article.title == "Rock & Roll"
    assert article.source_url == "https://example.com/2024/03/rock/"
    assert article.published_at == datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def test_thread_message_is_the_article_text(export):
    path = export(disqus(thread(message="<p>The <b>whole</b> story.</p>"), post()))
    import_disqus(path)
    assert Article.objects.get().body == "The whole story."


def test_overlong_title_is_cut_to_what_the_archive_holds(export):
    import_disqus(export(disqus(thread(title="t" * 600), post())))
    assert Article.objects.get().title == "t" * 500


def test_thread_without_a_title_is_named_by_its_id(export):
    import_disqus(export(disqus(thread(5, title=None), post(thread=5))))
    assert Article.objects.get().title == "(untitled thread 5)"


@pytest.mark.parametrize(
    "link", ["javascript:alert(document.cookie)", " JavaScript:alert(1)", "data:text/html,x"]
)
def test_thread_link_that_is_not_a_web_address_is_not_kept(export, link):
    import_disqus(export(disqus(thread(link=link), post())))
    assert Article.objects.get().source_url == ""


def test_malformed_link_is_left_out_with_a_warning_naming_the_thread():
    output = import_disqus(DISQUS_FIXTURES / "bad-urls.xml")
    assert (
        "bad-urls.xml: line 9, thread 7 ('A thread with a broken link') > link: "
        "'http://[oops/2024/a-post/' is not a valid URL"
    ) in output
    articles = dict(Article.objects.values_list("source_key", "source_url"))
    assert articles == {"7": "", "8": "https://broken-links.example.org/2024/good/"}
    assert Site.objects.get().domain == "broken-links.example.org"
    assert sorted(Comment.objects.values_list("body_text", flat=True)) == [
        "Still here.",
        "This one too.",
    ]


def test_thread_created_at_without_a_zone_is_utc_and_with_one_is_converted(export):
    path = export(
        disqus(
            thread(1, created="2012-12-12T12:12:12"),
            thread(2, created="2024-03-02T10:00:00+04:00"),
            post(1, thread=1),
            post(2, thread=2),
        )
    )
    import_disqus(path)
    dates = dict(Article.objects.values_list("source_key", "published_at"))
    assert dates == {
        "1": datetime(2012, 12, 12, 12, 12, 12, tzinfo=UTC),
        "2": datetime(2024, 3, 2, 6, 0, tzinfo=UTC),
    }


def test_thread_nobody_commented_on_is_not_an_article(export):
    output = import_disqus(
        export(disqus(thread(1), thread(2, title="Tag page"), post(thread=1))), "-v2"
    )
    assert list(Article.objects.values_list("source_key", flat=True)) == ["1"]
    assert "thread 2 ('Tag page'): thread without comments" in output


def test_thread_whose_comments_are_all_deleted_is_still_an_article(export):
    import_disqus(export(disqus(thread(1), post(1, deleted="true"))))
    assert Article.objects.get().source_key == "1"
    assert Comment.objects.count() == 0


def test_deleted_thread_is_skipped_with_its_posts(export):
    path = export(
        disqus(
            thread(1),
            thread(2, title="Withdrawn", deleted="true"),
            post(1, thread=1),
            post(2, thread=2),
            post(3, thread=2, parent=2),
        )
    )
    output = import_disqus(path, "-v2")
    assert list(Article.objects.values_list("source_key", flat=True)) == ["1"]
    assert list(Comment.objects.values_list("source_key", flat=True)) == ["1"]
    assert "thread 2 ('Withdrawn'): deleted thread" in output
    assert "post 2: in deleted thread 2" in output
    assert "post 3: in deleted thread 2" in output


def test_posts_of_a_thread_missing_from_the_file_are_left_out_with_a_warning(export):
    output = import_disqus(export(disqus(thread(1), post(1), post(2, thread=1337))))
    assert list(Comment.objects.values_list("source_key", flat=True)) == ["1"]
    assert "export.xml: thread 1337: not in the file: its 1 post(s) left out" in output


def test_post_that_names_no_thread_is_left_out_with_a_warning(export):
    output = import_disqus(export(disqus(thread(1), post(1), post(2, thread=None))), "-v2")
    assert list(Comment.objects.values_list("source_key", flat=True)) == ["1"]
    assert "post 2: it names no thread" in output
    assert "export.xml: disqus > post: 1 post(s) name no thread: left out" in output


def test_threads_may_come_after_their_posts(export):
    import_disqus(export(disqus(post(1, thread=9), thread(9))))
    assert Comment.objects.get().article.source_key == "9"


# Which site.


def test_site_is_the_forum_short_name(export):
    import_disqus(export(disqus(thread(forum="asbarez"), post())))
    assert list(Site.objects.values_list("name", flat=True)) == ["asbarez"]


def test_site_option_overrides_the_forum(export):
    import_disqus(export(disqus(thread(forum="asbarez"), post())), "--site", "Asbarez")
    assert list(Site.objects.values_list("name", flat=True)) == ["Asbarez"]


def test_forum_names_the_site_already_imported_whatever_its_case(export):
    Site.objects.create(name="Asbarez")
    import_disqus(export(disqus(thread(forum="asbarez"), post())))
    assert list(Site.objects.values_list("name", flat=True)) == ["Asbarez"]


def test_export_without_a_forum_needs_the_site_option(export):
    path = export(disqus(thread(forum=None), post()))
    with pytest.raises(CommandError, match="pass --site NAME"):
        import_disqus(path)
    assert row_counts()["Site"] == 0


def test_site_domain_is_the_host_most_threads_link_to(export):
    path = export(
        disqus(
            thread(1, link="http://localhost:4000/preview/"),
            thread(2, link="https://www.asbarez.com/one/"),
            thread(3, link="https://asbarez.com/two/"),
            post(1, thread=1),
            post(2, thread=2),
            post(3, thread=3),
        )
    )
    import_disqus(path)
    assert Site.objects.get().domain == "asbarez.com"


def test_domain_option_overrides_the_links(export):
    import_disqus(export(disqus(thread(), post())), "--domain", "news.example.org")
    assert Site.objects.get().domain == "news.example.org"


# Posts become comments.


def test_post_keeps_author_date_and_text(export):
    path = export(disqus(thread(), post(7, "<p>Well said.</p>", author="Ani")))
    import_disqus(path)
    saved = Comment.objects.select_related("commenter").get()
    assert saved.source == Source.DISQUS
    assert saved.source_key == "7"
    assert saved.commenter.name == "Ani"
    assert saved.posted_at == datetime(2024, 3, 1, 10, 0, tzinfo=UTC)
    assert saved.body_text == "Well said."
    assert saved.body_html == "<p>Well said.</p>"
    assert saved.source_status == SourceStatus.PUBLISHED


def test_author_without_a_name_is_shown_by_username(export):
    import_disqus(export(disqus(thread(), post(author=None, username="ani_a"))))
    assert Comment.objects.select_related("commenter").get().commenter.name == "ani_a"


def test_guest_keeps_the_name_disqus_showed(export):
    import_disqus(export(disqus(thread(), post(author="Guest Gail", anonymous="true"))))
    assert Comment.objects.select_related("commenter").get().commenter.name == "Guest Gail"


def test_post_without_name_or_username_is_anonymous(export):
    import_disqus(export(disqus(thread(), post(author="", username=None, anonymous="true"))))
    saved = Comment.objects.get()
    assert saved.commenter is None
    assert saved.author_name == "Anonymous"
    assert Commenter.objects.count() == 0


def test_email_and_ip_addresses_are_never_stored(export):
    import_disqus(export(disqus(thread(), post(1), post(2, author=None, username="bo"))))
    stored = repr(database_rows()) + repr(list(AuditEvent.objects.values()))
    assert Comment.objects.count() == 2
    assert EMAIL not in stored
    assert IP not in stored


def test_parser_never_reads_email_or_ip_addresses():
    document = disqus(thread(), post(1), post(2, author=None, anonymous="true"))
    parsed = parse_disqus(BytesIO(document.encode()))
    assert parsed.comment_count == 2
    assert EMAIL not in repr(parsed)
    assert IP not in repr(parsed)


@pytest.mark.parametrize(("flag", "kind"), [("deleted", "deleted"), ("spam", "spam")])
def test_deleted_and_spam_posts_are_skipped(export, flag, kind):
    output = import_disqus(export(disqus(thread(), post(1), post(2, **{flag: "true"}))), "-v2")
    assert list(Comment.objects.values_list("source_key", flat=True)) == ["1"]
    assert f"post 2: {kind}" in output


def test_post_not_approved_is_imported_and_marked_held(export):
    path = export(
        disqus(
            thread(),
            post(1, approved="true"),
            post(2, approved="false"),
            post(3, approved=""),
            post(4, approved=None),
        )
    )
    import_disqus(path)
    statuses = dict(Comment.objects.values_list("source_key", "source_status"))
    assert statuses == {
        "1": SourceStatus.PUBLISHED,
        "2": SourceStatus.HELD,
        "3": SourceStatus.PUBLISHED,
        "4": SourceStatus.PUBLISHED,
    }


# Threads of replies.


def test_reply_before_its_parent_in_the_file_is_threaded(export):
    path = export(
        disqus(
            thread(),
            post(2, parent=1, created="2024-03-01T11:00:00Z"),
            post(1, created="2024-03-01T10:00:00Z"),
        )
    )
    import_disqus(path)
    saved = comments_by_key()
    assert saved["2"].parent == saved["1"]
    assert saved["2"].position == "1.1"


def test_deep_thread_is_threaded_to_the_last_reply(export):
    chain = [post(1)] + [post(n, parent=n - 1) for n in range(2, 10)]
    import_disqus(export(disqus(thread(), *reversed(chain))))
    saved = comments_by_key()
    assert saved["9"].parent == saved["8"]
    assert saved["9"].position == ".".join(["1"] * 9)
    assert saved["9"].depth == 8


def test_positions_number_siblings_by_date_then_id(export):
    path = export(
        disqus(
            thread(),
            post(30, created="2024-03-01T12:00:00Z"),
            post(10, created="2024-03-01T11:00:00Z"),
            post(9, created="2024-03-01T11:00:00Z"),
            post(4, parent=10, created="2024-03-01T14:00:00Z"),
            post(3, parent=10, created="2024-03-01T13:00:00Z"),
            post(5, parent=3, created="2024-03-01T15:00:00Z"),
        )
    )
    import_disqus(path)
    # Same date: id 9 before id 10, compared as numbers.
    assert positions() == {"9": "1", "10": "2", "3": "2.1", "5": "2.1.1", "4": "2.2", "30": "3"}
    in_order = list(Comment.objects.order_by("thread_order").values_list("position", flat=True))
    assert in_order == ["1", "2", "2.1", "2.1.1", "2.2", "3"]


@pytest.mark.parametrize(
    "parent_post",
    [
        post(2, deleted="true", created="2024-03-01T09:30:00Z"),
        post(2, spam="true", created="2024-03-01T09:30:00Z"),
        post(2, thread=2, created="2024-03-01T09:30:00Z"),  # in another thread
        "",  # not in the file
    ],
    ids=["deleted", "spam", "other-thread", "absent"],
)
def test_reply_whose_parent_is_not_imported_is_kept_at_top_level(export, parent_post):
    path = export(
        disqus(
            thread(1),
            thread(2),
            post(1, created="2024-03-01T10:00:00Z"),
            parent_post,
            post(3, parent=2, created="2024-03-01T11:00:00Z"),
        )
    )
    output = import_disqus(path, "-v2")
    saved = comments_by_key()
    assert saved["3"].parent is None
    assert saved["3"].position == "2"
    assert saved["3"].article.source_key == "1"
    assert "post 3: reply to post 2, which is not imported: kept at top level" in output


def test_memory_holds_the_records_not_the_file():
    # 400 posts, each with 50 KB in an element the importer never reads: 20 MB of XML.
    unread = "<about>" + "x" * 50_000 + "</about>"
    posts = [post(n).replace("<author>", "<author>" + unread) for n in range(1, 401)]
    document = disqus(thread(), *posts).encode()
    tracemalloc.start()
    try:
        parsed = parse_disqus(BytesIO(document))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert parsed.comment_count == 400
    assert peak < 8_000_000, f"{peak:,} bytes at peak for {len(document):,} bytes of XML"


def test_comments_thread_within_their_own_article(export):
    path = export(
        disqus(thread(1), thread(2), post(1, thread=1), post(2, thread=2), post(3, parent=1))
    )
    import_disqus(path)
    first, second = Article.objects.order_by("source_key")
    assert sorted(first.comments.values_list("source_key", flat=True)) == ["1", "3"]
    assert list(second.comments.values_list("position", flat=True)) == ["1"]


# Text, HTML and encodings.


def test_non_latin_text_is_kept():
    import_disqus(DISQUS_FIXTURES / "non-latin.xml")
    saved = {c.source_key: c for c in Comment.objects.select_related("commenter", "article")}
    assert saved["1"].article.title == "Բարև աշխարհ — مرحبا — 你好"
    assert saved["1"].commenter.name == "Արամ"
    assert saved["1"].body_text == "«Բարև», Ани! 😀🇦🇲"
    assert saved["2"].commenter.name == "فاطمة"
    assert saved["2"].body_text == "مرحبا بالعالم"
    assert saved["3"].commenter.name == "山田太郎"
    assert saved["3"].body_text == "你好\uff0c世界。日本語もOK 🎉"


def test_html_entities_inside_cdata_are_decoded_in_body_text(export):
    content = "caf&eacute; &laquo;&#1330;&#1377;&#1408;&#1415;&raquo; &#x1F600; &lt;3"
    import_disqus(export(disqus(thread(), post(1, content))))
    assert Comment.objects.get().body_text == "café «Բարև» 😀 <3"


@pytest.mark.parametrize("name", ["script", "img-onerror", "javascript-href", "svg-onload"])
def test_hostile_html_is_sanitized(export, name):
    payload, fragments = XSS[name]
    import_disqus(export(disqus(thread(), post(1, f"<p>Before {payload} after</p>"))))
    saved = Comment.objects.get()
    assert unsafe_markup(saved.body_html) == []
    for fragment in fragments:
        assert fragment.lower() not in saved.body_html.lower()
    assert saved.body_text.startswith("Before")


def test_hostile_html_is_not_markup_on_the_thread_page(export, researcher_client):
    message = (
        '<p>Hi <script>alert(1)</script><img src=x onerror="alert(2)">'
        '<a href="javascript:alert(3)">link</a> <a href="https://example.com/ok">ok</a></p>'
    )
    import_disqus(export(disqus(thread(link="javascript:alert(4)"), post(1, message))))
    html = thread_page(researcher_client, Article.objects.get())
    section = comments_section(html).lower()
    for fragment in ("<script", "onerror", "javascript:"):
        assert fragment not in section
    assert "javascript:" not in html.lower()
    assert '<a href="https://example.com/ok"' in html


def test_escaped_markup_outside_cdata_is_still_sanitized(export):
    content = "hi &lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(2)&gt;"
    import_disqus(export(disqus(thread(), post(1, content, cdata=False))))
    body_html = Comment.objects.get().body_html
    assert "<script" not in body_html
    assert "onerror" not in body_html
    assert unsafe_markup(body_html) == []


def test_comment_longer_than_the_limit_is_cut_with_a_warning(export):
    output = import_disqus(export(disqus(thread(), post(7, "word " * 20_000))))
    assert "post 7 > message: cut to its first 65,525 bytes" in output
    assert len(Comment.objects.get().body_text.encode()) <= 65_525


def test_comment_of_unclosed_tags_is_cut_and_reported(export):
    output = import_disqus(export(disqus(thread(), post(7, "<b>bold " * 8_000))))
    assert "post 7 > message" in output
    assert "unclosed formatting elements removed (their text kept)" in output
    assert Comment.objects.get().body_html.count("<b>") <= 8


# Re-importing, updating, dry runs and the audit trail.

DEEP = disqus(
    thread(1, title="Deep"),
    thread(2, title="Other"),
    *[
        post(n, parent=n - 1 if n > 1 else None, created=f"2024-03-01T10:{n:02}:00Z")
        for n in (6, 3, 1, 2, 5, 4)
    ],
    post(7, created="2024-03-01T11:00:00Z", author="Bob"),
    post(8, parent=2, created="2024-03-01T12:00:00Z", author="Cat"),
    post(9, thread=2, author="Dan"),
)


def test_deep_thread_reimported_changes_nothing(export):
    path = export(DEEP)
    first = import_disqus(path)
    assert "articles 2 new, 0 updated, 0 unchanged; comments 9 new" in first
    assert comments_by_key()["6"].position == "1.1.1.1.1.1"
    counts, before = row_counts(), database_rows()
    second = import_disqus(path)
    assert (
        "articles 0 new, 0 updated, 2 unchanged; comments 0 new, 0 updated, 9 unchanged; "
        "commenters 0 new"
    ) in second
    assert row_counts() == counts
    assert database_rows() == before


def test_edited_post_is_updated_in_place(export):
    path = export(DEEP)
    import_disqus(path)
    pks = dict(Comment.objects.values_list("source_key", "pk"))
    export(DEEP.replace("A comment.", "A comment, edited.", 1))
    output = import_disqus(path)
    assert dict(Comment.objects.values_list("source_key", "pk")) == pks
    assert "comments 0 new, 1 updated, 8 unchanged" in output


def test_new_reply_is_added_and_existing_rows_keep_their_keys(export):
    path = export(DEEP)
    import_disqus(path)
    pks = dict(Comment.objects.values_list("source_key", "pk"))
    reply = post(10, "Late.", parent=3, author="Eve", created="2024-03-02T09:00:00Z")
    export(DEEP.replace("\n</disqus>", f"{reply}\n</disqus>"))
    import_disqus(path)
    saved = comments_by_key()
    assert {key: saved[key].pk for key in pks} == pks
    assert saved["10"].parent == saved["3"]
    assert saved["10"].position == "1.1.1.2"


def test_post_deleted_since_the_last_export_is_kept_and_reported(export):
    path = export(disqus(thread(), post(1), post(2, created="2024-03-01T11:00:00Z")))
    import_disqus(path)
    export(disqus(thread(), post(1), post(2, deleted="true", created="2024-03-01T11:00:00Z")))
    output = import_disqus(path)
    assert "1 comment(s) already imported are not in this file and were kept: 2" in output
    assert Comment.objects.get(source_key="2").missing_from_source


def test_dry_run_writes_nothing(export):
    output = import_disqus(export(DEEP), "--dry-run")
    assert output.startswith("Would import export.xml")
    assert row_counts() == {"Site": 0, "Article": 0, "Comment": 0, "Commenter": 0}
    assert not AuditEvent.objects.filter(action="import").exists()


def test_import_is_recorded_in_the_audit_trail():
    import_disqus(DISQUS_FIXTURES / "bad-urls.xml")
    event = AuditEvent.objects.filter(action="import").latest("id")
    assert event.note == "bad-urls.xml"
    assert event.after["source"] == "disqus"
    assert event.after["file"] == "bad-urls.xml"
    assert event.after["comments_created"] == 2
    assert any("is not a valid URL" in w for w in event.after["warnings"])


def test_the_upload_path_imports_disqus_as_the_command_does(tmp_path):
    assert FORMATS["disqus"].command == "import_disqus"
    assert FORMATS["disqus"].suffixes == (".xml",)
    _parsed, report = import_file("disqus", DISQUS_FIXTURES / "example.xml")
    assert (report.site, report.comments_created) == ("example-gazette", 4)
    assert AuditEvent.objects.filter(action="import", note="example.xml").count() == 1


# Broken files: a CommandError naming the file, the place and the problem; nothing written.


def assert_refused(paths, *expected: str) -> str:
    """Import `paths`; the command must fail naming each of `expected` and write nothing."""
    before = database_rows()
    with pytest.raises(CommandError) as caught:
        import_disqus(*paths)
    message = str(caught.value)
    for part in expected:
        assert part in message, message
    assert "nothing was written" in message
    assert database_rows() == before
    return message


def test_empty_file_says_it_is_empty():
    path = DISQUS_FIXTURES / "empty.xml"
    message = assert_refused([path], f"{path}: line 1: the file is empty")
    assert "malformed" not in message


def test_file_of_white_space_says_it_is_empty(export):
    path = export("\n  \n")
    assert_refused([path], f"{path}: line 1: the file is empty")


def test_wordpress_export_is_not_a_disqus_export_and_says_which_command_reads_it():
    path = ROOT / "fixtures" / "wxr" / "example.xml"
    assert_refused(
        [path], f"{path}: line 1: not a Disqus export: the root element is <rss>", "import_wxr"
    )


def test_xml_that_is_not_disqus_is_refused(export):
    path = export('<?xml version="1.0"?><html><body>hi</body></html>')
    assert_refused([path], f"{path}: line 1: not a Disqus export", "<html>, not <disqus>")


def test_disqus_root_in_another_namespace_is_not_a_disqus_export(export):
    path = export('<?xml version="1.0"?><disqus xmlns="urn:something-else"><post/></disqus>')
    assert_refused([path], "not a Disqus export", "{urn:something-else}disqus")


def test_malformed_xml_names_file_line_and_element(export):
    document = disqus(thread(), post(1), post(2, "<p>Unclosed</p>")).replace(
        "<isSpam>false</isSpam>", "<isSpam>false", 2
    )
    path = export(document)
    expected_line = line_of(document, "</post>")
    assert_refused(
        [path], str(path), f"line {expected_line}: malformed XML", "inside post 1 > isSpam"
    )


def test_truncated_file_is_refused(export):
    document = disqus(thread(), post(1), post(2))
    path = export(document[: len(document) * 2 // 3])
    assert_refused([path], str(path), "malformed XML")


def test_latin1_bytes_in_a_utf8_export_name_encoding_offset_and_element():
    path = DISQUS_FIXTURES / "latin1-declared-utf8.xml"
    offset = path.read_bytes().index(b"\xe9")
    message = assert_refused(
        [path],
        f"{path}: line 19: not valid utf-8 (the encoding the file declares)",
        f"byte 0xe9 at offset {offset}",
        "inside post 5 > message",
    )
    assert "malformed XML" not in message


def test_xml_bomb_is_refused_without_expanding(export):
    lol = "".join(f'  <!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">\n' for n in range(1, 10))
    document = (
        '<?xml version="1.0"?>\n<!DOCTYPE disqus [\n  <!ENTITY lol0 "lol">\n'
        + lol
        + "]>\n"
        + disqus(thread(), post(1, "&lol9;", cdata=False)).split("\n", 1)[1]
    )
    path = export(document)
    assert_refused([path], str(path), "line 2", "DOCTYPE", "a Disqus export never has one")


def test_external_entity_is_refused(export):
    document = (
        '<?xml version="1.0"?>\n'
        '<!DOCTYPE disqus [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
        + disqus(thread(), post(1, "&secret;", cdata=False)).split("\n", 1)[1]
    )
    assert_refused([export(document)], "DOCTYPE")


def test_unreadable_date_names_the_post_and_element(export):
    document = disqus(thread(), post(1), post(2, created="yesterday"))
    path = export(document)
    line = line_of(document, '<post dsq:id="2">')
    assert_refused(
        [path],
        f"{path}: line {line}, post 2 > createdAt: 'yesterday' is not a date like "
        "2013-10-10T19:29:57Z",
    )


def test_unreadable_thread_date_names_the_thread(export):
    path = export(disqus(thread(3, title="Hot", created="2024-13-45T00:00:00Z"), post(thread=3)))
    assert_refused([path], "thread 3 ('Hot') > createdAt", "'2024-13-45T00:00:00Z'")


def test_post_id_appearing_twice_is_refused_naming_it(export):
    path = export(disqus(thread(), post(4), post(4, "Again.")))
    assert_refused([path], str(path), "post 4: post dsq:id 4 appears twice")


def test_thread_id_appearing_twice_is_refused_naming_it(export):
    path = export(disqus(thread(4), thread(4, title="Again"), post(thread=4)))
    assert_refused([path], "thread 4 ('Again'): thread dsq:id 4 appears twice")


def test_post_missing_its_dsq_id_is_refused(export):
    document = disqus(thread(), post(1), post(None))
    path = export(document)
    line = line_of(document, "<post>")
    assert_refused([path], f"line {line}, post: missing its dsq:id attribute")


@pytest.mark.parametrize("bad_id", ["12a", "-3", "1_0", "٣", "1.5"])
def test_non_numeric_dsq_id_is_refused(export, bad_id):
    path = export(disqus(thread(), post(bad_id)))
    assert_refused([path], f"dsq:id {bad_id!r} is not a number")


def test_non_numeric_parent_is_refused(export):
    path = export(disqus(thread(), post(1), post(2, parent="one")))
    assert_refused([path], "post 2 > parent", "dsq:id 'one' is not a number")


@pytest.mark.parametrize("value", ["maybe", "yes", "2"])
def test_unknown_flag_value_is_refused(export, value):
    path = export(disqus(thread(), post(1, spam=value)))
    assert_refused([path], "post 1 > isSpam", f"<isSpam> is {value!r}; expected true or false")


def test_replies_to_each_other_in_a_loop_are_refused(export):
    path = export(
        disqus(
            thread(5, title="Loop"),
            post(1, thread=5),
            post(2, parent=3, thread=5),
            post(3, parent=2, thread=5),
        )
    )
    assert_refused([path], "thread 5 ('Loop')", "posts [2, 3] reply to each other in a loop")


def test_one_broken_file_among_several_writes_nothing_for_any(export):
    good = export(DEEP, "good.xml")
    broken = export(disqus(thread(), post("x")), "broken.xml")
    message = assert_refused([good, broken], str(broken), "dsq:id 'x'")
    assert "1 of 2 file(s) cannot be imported" in message
    assert row_counts() == {"Site": 0, "Article": 0, "Comment": 0, "Commenter": 0}


def test_broken_update_leaves_the_earlier_import_untouched(export):
    path = export(DEEP)
    import_disqus(path)
    before = database_rows()
    export(DEEP.replace('<post dsq:id="9">', '<post dsq:id="9x">'))
    assert_refused([path], str(path), "dsq:id '9x'")
    assert database_rows() == before


def test_missing_file_is_refused(tmp_path):
    path = tmp_path / "nowhere.xml"
    assert_refused([path], str(path), "no such file")


def peak_of(document: bytes):
    """What parsing `document` raises (or None) and its peak memory in bytes."""
    tracemalloc.start()
    try:
        try:
            parse_disqus(BytesIO(document))
        except ImportFailure as exc:
            failure = exc
        else:
            failure = None
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return failure, peak


def test_a_reply_chain_too_deep_to_number_is_refused_before_it_fills_memory():
    # 30,000 posts each answering the last took about 1 GB (every level numbered first,
    # memory in the square of the depth); 5,000 took some 50 MB of numbers alone.
    posts = [post(1)] + [post(n, parent=n - 1) for n in range(2, 5_001)]
    failure, peak = peak_of(disqus(thread(), *posts).encode())
    assert "is nested too deep to number" in str(failure)
    assert peak < 25_000_000, f"{peak:,} bytes at peak"


def test_elements_nested_deeper_than_an_export_has_are_refused():
    document = disqus(thread()).replace("</disqus>", "<x>" * 100_000 + "</disqus>").encode()
    failure, peak = peak_of(document)
    assert "elements nested more than 32 deep" in str(failure)
    assert failure.line is not None
    assert peak < 20_000_000, f"{peak:,} bytes at peak"


def test_an_entry_of_millions_of_elements_is_refused():
    wide = post(1).replace("<id/>", "<id/>" + "<x/>" * 200_000)
    failure, peak = peak_of(disqus(thread(), wide).encode())
    assert "an entry of more than 10,000 elements" in str(failure)
    assert peak < 20_000_000, f"{peak:,} bytes at peak"

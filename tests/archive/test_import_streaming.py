"""Fast, memory-bounded importing (issue 11, item 5): a WordPress export is loaded as it is
read, a chunk of articles at a time, in one transaction; each chunk costs a few queries
whatever it holds; sanitizing in worker processes gives what one process gives.

The exports are built with the helpers of test_wxr.py. Where a test needs a file to be read
in several pieces, or written in several chunks, it makes the pieces small (READ_SIZE,
CHUNK): the code paths are those of a file of hundreds of megabytes.
"""

from io import BytesIO, StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from archive.importing import loader
from archive.importing import wxr as wxr_module
from archive.importing.formats import import_file
from archive.importing.wxr import WxrStream, open_wxr, parse_wxr
from archive.models import Comment, Site
from archive.signals import comments_stored
from moderation.models import AuditEvent, ModerationState
from tests.archive.test_wxr import comment, database_rows, import_wxr, post, row_counts, wxr

pytestmark = pytest.mark.django_db


def thread(first_id: int, count: int, *, html: bool = False) -> list[str]:
    """`count` comments from id `first_id`: every third a reply to the one before, five
    readers by name, some held, and HTML with a link and a quote if asked."""
    comments = []
    for n in range(first_id, first_id + count):
        text = f"Comment {n} says <b>this</b> & <a href='https://e.com/{n}'>that</a>" if html else (
            f"Comment {n} says this.\n\nAnd that."
        )  # fmt: skip
        comments.append(
            comment(
                n,
                text,
                parent=n - 1 if (n - first_id) % 3 == 2 else 0,
                author=f"Reader {n % 5}",
                date_gmt=f"2024-03-01 10:{(n - first_id) % 60:02}:00",
                approved="0" if n % 7 == 0 else "1",
            )
        )
    return comments


def export_of(articles: int, each: int, *, site: str = "Example News", html=False) -> str:
    """An export of `articles` posts with `each` comments each."""
    posts = [
        post(*thread(1 + a * each, each, html=html), post_id=100 + a, title=f"Story {a}")
        for a in range(articles)
    ]
    return wxr(*posts, title=site)


def queries(path) -> int:
    with CaptureQueriesContext(connection) as captured:
        import_wxr(path)
    return len(captured.captured_queries)


# Queries: a few per chunk, none per comment or per article.


def test_an_import_costs_a_few_queries_whatever_its_comments_and_articles(export):
    import_wxr(export(export_of(1, 1, site="Warm-up"), "warm-up.xml"))  # the audit chain started
    counts = {}
    for articles, each in [(1, 3), (1, 60), (12, 50), (1, 500)]:
        path = export(export_of(articles, each, site=f"Site {articles}x{each}"), f"{each}.xml")
        counts[articles, each] = queries(path)
    # One chunk each; SQLite's inserts go in statements of a few sizes (see archive.importing.
    # bulk): a few more statements for 500 rows than for 3, never one per row or article.
    few = counts[1, 3]
    assert all(few <= n <= few + 16 for n in counts.values()), counts


def test_a_reimport_costs_the_same_queries_whatever_its_comments_and_articles(export):
    import_wxr(export(export_of(1, 1, site="Warm-up"), "warm-up.xml"))
    counts = {}
    for articles, each in [(1, 3), (1, 60), (12, 50), (1, 500)]:
        path = export(export_of(articles, each, site=f"Site {articles}x{each}"), f"{each}.xml")
        import_wxr(path)
        counts[articles, each] = queries(path)
    assert len(set(counts.values())) == 1, counts


def test_queries_grow_with_the_chunks_not_the_comments(export, monkeypatch):
    monkeypatch.setattr(loader, "CHUNK", 10)
    import_wxr(export(export_of(1, 1, site="Warm-up"), "warm-up.xml"))
    # 2, 4 and 6 posts of 5 comments: 1, 2 and 3 chunks of 10.
    counts = [
        queries(export(export_of(posts, 5, site=f"Site {posts}"), f"{posts}.xml"))
        for posts in (2, 4, 6)
    ]
    per_chunk = counts[1] - counts[0]
    assert counts[2] - counts[1] == per_chunk
    # the chunk's rows, states, records and queue counters, and
    # screening's three reads (the sites' word lists, categories and learned models; its
    # writes only for comments it scores: none here)
    assert per_chunk <= 13


def test_a_reimport_opens_no_state_and_writes_only_its_audit_event(export):
    path = export(export_of(3, 10))
    import_wxr(path)
    before, events = database_rows(), AuditEvent.objects.count()
    states = list(ModerationState.objects.order_by("pk").values())
    with CaptureQueriesContext(connection) as captured:
        import_wxr(path)
    writes = [
        q["sql"] for q in captured.captured_queries if q["sql"].startswith(("INSERT", "UPDATE"))
    ]
    assert database_rows() == before
    assert list(ModerationState.objects.order_by("pk").values()) == states
    assert AuditEvent.objects.count() == events + 1
    assert all("moderation_audit" in sql for sql in writes), writes  # the event, the head


def test_a_new_comment_in_a_reimport_gets_its_state_and_the_others_keep_theirs(export):
    document = export_of(2, 4)
    path = export(document)
    import_wxr(path)
    states = dict(ModerationState.objects.values_list("comment_id", "pk"))
    late = comment(99, "Late.", parent=2, author="Newcomer", date_gmt="2024-03-02 09:00:00")
    export(document.replace("</item>", f"{late}\n  </item>", 1))
    import_wxr(path)
    new = Comment.objects.get(source_key="99")
    assert ModerationState.objects.get(comment=new).commenter_id == new.commenter_id
    assert dict(ModerationState.objects.exclude(comment=new).values_list("comment_id", "pk")) == (
        states
    )


# Streaming: the file is loaded as it is read, in one transaction.


def test_the_first_post_is_handed_on_before_the_file_is_read_to_its_end(export, monkeypatch):
    monkeypatch.setattr(wxr_module, "READ_SIZE", 1024)
    path = export(export_of(20, 5))
    with open_wxr(path, workers=0) as stream:
        assert stream.header().site_name == "Example News"
        first = next(stream.articles())
        read, size = stream.position()
    assert first.key == "100"
    assert len(first.comments) == 5
    assert read < size / 4


def test_posts_are_written_before_the_end_of_the_file_is_read(export, monkeypatch):
    monkeypatch.setattr(wxr_module, "READ_SIZE", 1024)
    monkeypatch.setattr(loader, "CHUNK", 10)
    path = export(export_of(20, 5))
    progress = []

    def written(sender, created, **kwargs):
        progress.append((len(created), Comment.objects.count()))

    comments_stored.connect(written)
    try:
        import_wxr(path)
    finally:
        comments_stored.disconnect(written)
    assert len(progress) == 10  # a chunk of two posts at a time
    assert progress[0] == (10, 10)  # stored while 90 comments were still in the file


def test_a_broken_last_post_rolls_back_the_posts_written_before_it(export, monkeypatch):
    monkeypatch.setattr(wxr_module, "READ_SIZE", 1024)
    monkeypatch.setattr(loader, "CHUNK", 10)
    document = export_of(20, 5).replace(
        "</channel>", post(comment("x"), post_id=999) + "</channel>"
    )
    path = export(document)
    written = []

    def seen(sender, created, **kwargs):
        written.append(len(created))

    comments_stored.connect(seen)
    try:
        with pytest.raises(CommandError) as caught:
            import_wxr(path)
    finally:
        comments_stored.disconnect(seen)
    # Every post before it was written (but the last chunk, still being gathered)…
    assert sum(written) == 90
    assert row_counts() == {"Site": 0, "Article": 0, "Comment": 0, "Commenter": 0}  # …and undone
    assert not ModerationState.objects.exists()
    message = str(caught.value)
    assert "1 of 1 file(s) cannot be imported; nothing was written" in message
    assert "item 21 ('A story'), post 999 > wp:comment 1: wp:comment_id 'x' is not a number" in (
        message
    )


def test_malformed_xml_after_many_posts_writes_nothing(export, monkeypatch):
    monkeypatch.setattr(wxr_module, "READ_SIZE", 1024)
    monkeypatch.setattr(loader, "CHUNK", 10)
    document = export_of(20, 5)
    cut = document.rindex("<wp:comment>")
    path = export(document[:cut] + "<wp:comment><oops></wp:comment>" + document[cut:])
    with pytest.raises(CommandError, match="malformed XML"):
        import_wxr(path)
    assert row_counts() == {"Site": 0, "Article": 0, "Comment": 0, "Commenter": 0}


def test_a_file_that_names_its_site_after_its_posts_is_read_whole(export):
    document = export_of(2, 3).replace("<title>Example News</title>", "")
    document = document.replace("</channel>", "<title>Late Title News</title>\n</channel>")
    import_wxr(export(document))
    assert list(Site.objects.values_list("name", flat=True)) == ["Late Title News"]
    assert Comment.objects.count() == 6


def test_a_site_address_given_after_the_posts_is_kept(export):
    document = export_of(1, 2, site="Late Link").replace("<link>https://www.example.com</link>", "")
    document = document.replace("https://example.com</wp:base_site_url>", "</wp:base_site_url>")
    document = document.replace(
        "</channel>", "<wp:base_blog_url>https://late.example.org</wp:base_blog_url></channel>"
    )
    document = document.replace("<wp:base_blog_url>https://example.com</wp:base_blog_url>", "")
    import_wxr(export(document))
    assert Site.objects.get().domain == "late.example.org"


def test_with_debug_on_the_query_log_keeps_only_the_last_chunk(export, monkeypatch, settings):
    monkeypatch.setattr(loader, "CHUNK", 10)
    settings.DEBUG = True
    connection.queries_log.clear()
    import_wxr(export(export_of(10, 5)))
    # 5 chunks of about 10 queries each; the file's comments are in none of the SQL kept
    # but the last chunk's (and the end's: the new site's policy version, the record).
    assert len(connection.queries_log) < 40
    assert not any("Comment 1 says" in q["sql"] for q in connection.queries_log)


# Several files: each is checked before any is loaded.


def test_a_post_nested_too_deep_in_a_later_file_writes_nothing_for_any(export):
    deep = [comment(1, "Top.")] + [comment(n, f"Reply {n}.", parent=n - 1) for n in range(2, 140)]
    good = export(export_of(2, 3), "good.xml")
    too_deep = export(wxr(*[post(*deep)], title="Deep News"), "deep.xml")
    with pytest.raises(CommandError) as caught:
        import_wxr(good, too_deep)
    assert "1 of 2 file(s) cannot be imported; nothing was written" in str(caught.value)
    assert "nested too deep to number" in str(caught.value)
    assert row_counts() == {"Site": 0, "Article": 0, "Comment": 0, "Commenter": 0}


def test_several_files_are_each_imported_in_their_own_transaction(export):
    first = export(export_of(2, 3, site="First News"), "first.xml")
    second = export(export_of(3, 2, site="Second News"), "second.xml")
    output = import_wxr(first, second)
    assert "Imported first.xml -> First News: articles 2 new" in output
    assert "Imported second.xml -> Second News: articles 3 new" in output
    assert AuditEvent.objects.filter(action="import").count() == 2


# Sanitizing in worker processes.

CUT = "<b>x" * 20_000  # cut by the caps, with a warning
HTML_EXPORT = wxr(
    post(
        *thread(1, 40, html=True),
        comment(41, CUT, author="Loud"),
        comment(42, "spam", approved="spam"),
        comment(43, "word " * 20_000, author="Long"),  # cut to 65,525 bytes
        post_id=7,
        link="http://[oops/",
        content="<p>The <script>story</script>.</p>\n\nSecond paragraph.",
    ),
    post(*thread(100, 30, html=True), post_id=8, excerpt="<i>Deck</i> & more"),
)


def test_sanitizing_in_worker_processes_gives_what_one_process_gives():
    serial = parse_wxr(BytesIO(HTML_EXPORT.encode()), workers=0)
    with WxrStream(BytesIO(HTML_EXPORT.encode()), workers=2, chunk=7) as stream:
        parallel = stream.read_all()
        assert stream.cleaning._pool is not None  # it did use worker processes
    assert parallel == serial
    where = [w.where for w in serial.warnings]
    assert where[0] == "item 1 ('A story'), post 7 > link"
    assert set(where[1:-1]) == {"item 1 ('A story'), post 7 > wp:comment 41 > wp:comment_content"}
    assert where[-1] == "item 1 ('A story'), post 7 > wp:comment 43 > wp:comment_content"
    assert serial.articles[0].body == "The story.\n\nSecond paragraph."
    assert serial.articles[1].deck == "Deck & more"


def test_a_file_sanitized_in_worker_processes_is_stored_as_one_sanitized_here(export, monkeypatch):
    path = export(HTML_EXPORT)
    monkeypatch.setattr(wxr_module, "CLEAN_CHUNK", 5)
    import_file("wxr", path, site_name="Here", workers=0)
    _, report = import_file("wxr", path, site_name="In workers", workers=2)
    assert report.comments_created == 72

    def stored(site: str) -> list:
        return list(
            Comment.objects.filter(article__site__name=site)
            .order_by("article__source_key", "thread_order")
            .values_list(
                "article__source_key", "source_key", "parent__source_key", "commenter__name",
                "position", "posted_at", "body_text", "body_html", "source_status",
            )
        )  # fmt: skip

    assert stored("In workers") == stored("Here")
    assert len(stored("Here")) == 72


# The interface others build on.


def test_import_file_reports_progress_in_bytes_for_a_streamed_file(export, monkeypatch):
    monkeypatch.setattr(wxr_module, "READ_SIZE", 2048)
    monkeypatch.setattr(loader, "CHUNK", 10)
    path = export(export_of(10, 5))
    calls = []
    parsed, report = import_file(
        "wxr", path, progress=lambda done, total: calls.append((done, total))
    )
    size = path.stat().st_size
    assert len(calls) == 5
    assert all(total == size for _, total in calls)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert calls[-1] == (size, size)
    assert (parsed.articles, parsed.articles_read, parsed.comments_read) == ([], 10, 50)
    assert report.comments_created == parsed.comment_count == 50


def test_import_file_reports_progress_in_comments_for_a_file_parsed_whole(tmp_path):
    from tests.conftest import PAGES

    calls = []
    import_file(
        "page", PAGES / "001_c063493f46c78712.txt", site_name="Asbarez",
        progress=lambda done, total: calls.append((done, total)),
    )  # fmt: skip
    assert calls == [(12, 12)]


def test_the_loader_still_takes_a_parsed_source_whole(export):
    parsed = parse_wxr(BytesIO(export_of(3, 4).encode()))
    report = loader.load(parsed, site_name="Whole News")
    assert (report.articles_created, report.comments_created) == (3, 12)
    assert ModerationState.objects.count() == 12


def test_the_command_shows_megabytes_read_for_a_streamed_file(export):
    err = StringIO()
    path = export(export_of(2, 3))
    call_command("import_wxr", str(path), progress=True, stdout=StringIO(), stderr=err)
    size = path.stat().st_size / 2**20
    assert f"export.xml [##############################] {size:,.1f}/{size:,.1f} MB" in (
        err.getvalue()
    )


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL takes ids from its sequence")
def test_without_returning_the_new_comments_ids_are_looked_up(export, monkeypatch):
    # SQLite before 3.35 returns nothing from an INSERT: replies still find their parents.
    features = type(connection.features)
    monkeypatch.setattr(features, "can_return_rows_from_bulk_insert", False)
    import_wxr(export(export_of(3, 6)))
    replies = Comment.objects.filter(parent__isnull=False).select_related("parent")
    assert len(replies) == 6
    assert all(int(r.source_key) == int(r.parent.source_key) + 1 for r in replies)
    assert ModerationState.objects.count() == 18


def test_past_a_number_what_was_left_out_and_cut_is_counted_not_kept(export, monkeypatch):
    from archive.importing import records

    monkeypatch.setattr(records, "LISTED", 3)
    pingbacks = [comment(n, "Linked.", comment_type="pingback") for n in range(1, 6)]
    cut = [comment(n, "word " * 20_000) for n in range(10, 15)]
    output = import_wxr(export(wxr(post(*pingbacks, *cut))), "-v2")
    assert output.count(": pingback: ") == 3
    assert "export.xml: and 2 more left out (not listed)" in output
    assert output.count("cut to its first 65,525 bytes") == 3
    assert "export.xml: and 2 more warnings (not listed)" in output
    assert Comment.objects.count() == 5


def test_a_file_found_broken_after_the_check_says_the_files_before_it_were_imported(
    export, monkeypatch
):
    from archive.management.commands import import_wxr as command

    first = export(export_of(1, 2, site="First News"), "first.xml")
    second = export(export_of(1, 2, site="Second News"), "second.xml")
    monkeypatch.setattr(command.Command, "_check_all", lambda self, paths, options: None)
    second.write_text(second.read_text().replace("<wp:comment_id>2<", "<wp:comment_id>x<"))
    with pytest.raises(CommandError) as caught:
        import_wxr(first, second)
    message = str(caught.value)
    assert message.startswith(f"{second}: item 1 ('Story 0'), post 100 > wp:comment 2")
    assert message.endswith("nothing from this file was written; files before it were imported")
    assert list(Site.objects.values_list("name", flat=True)) == ["First News"]

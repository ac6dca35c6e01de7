"""`manage.py import_pages`: what lands in the database, re-imports, and broken captures."""

import shutil
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from archive.models import Article, Comment, Commenter, Site, SourceStatus
from archive.signals import comments_imported
from moderation.models import AuditEvent
from tests.conftest import PAGES

ASBAREZ = [
    "000_902d555832b6c3e9.txt",
    "001_c063493f46c78712.txt",
    "002_e39c42383e3c8fa6.txt",
    "004_b01ea09c9e7a5141.txt",
]
WIX = "003_dc28b77d8e265672.txt"

pytestmark = pytest.mark.django_db


def import_pages(*paths, **options):
    out = StringIO()
    call_command("import_pages", *[str(p) for p in paths], stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


def import_all_seeds():
    import_pages(*(PAGES / name for name in ASBAREZ), site="Asbarez", domain="asbarez.com")
    import_pages(PAGES / WIX)


def snapshot():
    """Every archive row, as values, to compare before and after."""
    return [
        list(model.objects.order_by("pk").values()) for model in (Site, Article, Commenter, Comment)
    ]


def test_importing_the_seeds_gives_5_articles_and_21_comments():
    import_all_seeds()
    assert Article.objects.count() == 5
    assert Comment.objects.count() == 21
    assert set(Site.objects.values_list("name", flat=True)) == {"Asbarez", "The Armenian Report"}


def test_replies_point_at_their_parent_rows():
    import_pages(PAGES / ASBAREZ[1], site="Asbarez")
    reply = Comment.objects.get(position="2.1")
    assert reply.parent.position == "2"
    assert reply.parent.commenter.name == "Vartan"
    assert reply.depth == 1


def test_a_commenter_is_one_row_per_site():
    import_pages(PAGES / ASBAREZ[1], site="Asbarez")
    barseghian = Commenter.objects.get(name="Barséghian Ardachèce")
    assert barseghian.comments.count() == 2
    assert Commenter.objects.filter(site__name="Asbarez").count() == 11


def test_anonymous_comments_have_no_commenter():
    import_pages(PAGES / ASBAREZ[2], site="Asbarez")
    assert Comment.objects.count() == 6
    assert not Comment.objects.filter(commenter__isnull=False).exists()
    assert Commenter.objects.count() == 0


def test_the_site_and_its_policy_are_read_from_the_page():
    import_pages(PAGES / ASBAREZ[3])
    site = Site.objects.get()
    assert site.name == "Asbarez"
    assert site.policy_text.startswith("Comments are welcomed and encouraged.")


def test_a_page_without_the_policy_does_not_blank_it():
    import_pages(PAGES / ASBAREZ[1])
    import_pages(PAGES / ASBAREZ[0], site="Asbarez")
    assert Site.objects.get().policy_text.startswith("Comments are welcomed")


def test_page_order_is_kept():
    import_pages(PAGES / ASBAREZ[1], site="Asbarez")
    positions = list(Comment.objects.order_by("thread_order").values_list("position", flat=True))
    assert positions == ["1", "2", "2.1", "3", "4", "5", "6", "7", "8", "9", "10", "11"]


def test_comments_from_captures_are_published_not_held():
    import_all_seeds()
    assert set(Comment.objects.values_list("source_status", flat=True)) == {SourceStatus.PUBLISHED}


def test_reimporting_the_same_files_changes_nothing():
    import_all_seeds()
    before = snapshot()
    output = import_pages(*(PAGES / name for name in ASBAREZ), site="Asbarez")
    import_pages(PAGES / WIX)
    assert snapshot() == before
    assert "0 new, 0 updated, 12 unchanged" in output


def test_an_updated_capture_keeps_every_unchanged_comment_and_its_id(tmp_path):
    import_pages(PAGES / ASBAREZ[1], site="Asbarez")
    ids = dict(Comment.objects.values_list("source_key", "pk"))
    capture = tmp_path / ASBAREZ[1]
    text = (PAGES / ASBAREZ[1]).read_text("utf-8")
    capture.write_text(text + "\n\n  12. Newcomer said:\n\n    A late comment.\n", "utf-8")

    output = import_pages(capture, site="Asbarez")

    assert "1 new, 0 updated, 12 unchanged" in output
    assert dict(Comment.objects.filter(pk__in=ids.values()).values_list("source_key", "pk")) == ids
    assert Comment.objects.get(position="12").commenter.name == "Newcomer"


def test_renumbered_comments_move_with_their_words(tmp_path):
    """The site deleted comment 1: every later comment's number drops by one. Each row keeps
    its own author and text (and so whatever moderation it carries) at its new number."""
    import_pages(PAGES / ASBAREZ[1], site="Asbarez")
    vartan = Comment.objects.get(position="2")
    capture = tmp_path / ASBAREZ[1]
    text = (PAGES / ASBAREZ[1]).read_text("utf-8")
    start, end = text.index("  1. Ara Sarian said:"), text.index("  2. Vartan said:")
    renumbered = text[:start] + text[end:]
    for n in range(2, 12):
        renumbered = renumbered.replace(f"\n  {n}. ", f"\n  {n - 1}. ")
    capture.write_text(renumbered, "utf-8")

    output = import_pages(capture, site="Asbarez")

    vartan.refresh_from_db()
    assert (vartan.position, vartan.commenter.name) == ("1", "Vartan")
    assert vartan.body_text.startswith("Armenians are in this fight alone.")
    assert Comment.objects.get(position="1.1").parent == vartan
    gone = Comment.objects.get(commenter__name="Ara Sarian")
    assert gone.missing_from_source
    assert "kept: 1" in output
    assert Comment.objects.count() == 12


def test_an_edited_comment_is_new_text_beside_the_old(tmp_path):
    import_pages(PAGES / ASBAREZ[1], site="Asbarez")
    old = Comment.objects.get(position="11")
    capture = tmp_path / ASBAREZ[1]
    text = (PAGES / ASBAREZ[1]).read_text("utf-8")
    capture.write_text(text.replace("Parev, Let me be clear", "Parev, let me be very clear"))

    import_pages(capture, site="Asbarez")

    old.refresh_from_db()
    assert old.missing_from_source
    assert old.body_text.startswith("Parev, Let me be clear")
    edited = Comment.objects.get(position="11", missing_from_source=False)
    assert edited.body_text.startswith("Parev, let me be very clear")


def test_comments_missing_from_a_newer_capture_are_kept(tmp_path):
    import_pages(PAGES / ASBAREZ[3], site="Asbarez")  # 004: two comments
    capture = tmp_path / ASBAREZ[3]
    text = (PAGES / ASBAREZ[3]).read_text("utf-8")
    capture.write_text(text[: text.index("  2. N.ohanian said:")], "utf-8")

    output = import_pages(capture, site="Asbarez")

    assert Comment.objects.count() == 2
    assert "not in this file and were kept: 2" in output


def test_a_broken_capture_writes_nothing_and_names_file_and_line(tmp_path):
    good = tmp_path / "good.txt"
    shutil.copy(PAGES / ASBAREZ[1], good)
    broken = tmp_path / "broken.txt"
    broken.write_text(
        "Title\n\nBody.\n\n  1. Ann said:\n\n    Hi.\n\n        • Bob said:\n\n          Yo.\n",
        "utf-8",
    )
    with pytest.raises(CommandError) as caught:
        import_pages(good, broken, site="Asbarez")
    message = str(caught.value)
    assert f"{broken}: line 9:" in message
    assert "nothing was written" in message
    assert snapshot() == [[], [], [], []]


def test_a_capture_that_is_not_utf8_names_the_line(tmp_path):
    broken = tmp_path / "latin1.txt"
    broken.write_bytes("Title\n\nBody.\n\nCaf\u00e9\n".encode("latin-1"))
    with pytest.raises(CommandError, match=r"latin1.txt: line 5: not UTF-8"):
        import_pages(broken, site="Asbarez")
    assert not Article.objects.exists()


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(CommandError, match=r"nope.txt: no such file"):
        import_pages(tmp_path / "nope.txt", site="Asbarez")


def test_a_page_that_names_no_site_needs_site():
    with pytest.raises(CommandError, match="pass --site NAME"):
        import_pages(PAGES / ASBAREZ[0])
    assert not Site.objects.exists()


def test_dry_run_reports_and_writes_nothing():
    output = import_pages(PAGES / ASBAREZ[1], site="Asbarez", dry_run=True)
    assert "Would import 001_c063493f46c78712.txt" in output
    assert "12 new" in output
    assert snapshot() == [[], [], [], []]


def test_a_folder_imports_every_capture_in_it(tmp_path):
    for name in ASBAREZ:
        shutil.copy(PAGES / name, tmp_path / name)
    import_pages(tmp_path, site="Asbarez")
    assert Article.objects.count() == 4
    assert Comment.objects.count() == 20


def test_verbose_output_lists_the_chrome_it_recognised():
    output = import_pages(PAGES / WIX, verbosity=2)
    assert "line 1: chrome: top of page" in output
    assert "line 17: chrome: 1 Comment" in output


def test_an_import_announces_itself_once_per_file():
    received = []

    def receiver(sender, **kwargs):
        received.append((kwargs["origin"], kwargs["source"], kwargs["report"].comments_created))

    comments_imported.connect(receiver)
    try:
        import_pages(PAGES / ASBAREZ[1], PAGES / ASBAREZ[3], site="Asbarez")
    finally:
        comments_imported.disconnect(receiver)
    assert received == [(ASBAREZ[1], "page", 12), (ASBAREZ[3], "page", 2)]


def test_a_failing_listener_rolls_the_whole_file_back():
    def receiver(sender, **kwargs):
        raise RuntimeError("audit trail unavailable")

    comments_imported.connect(receiver)
    try:
        with pytest.raises(RuntimeError):
            import_pages(PAGES / ASBAREZ[1], site="Asbarez")
    finally:
        comments_imported.disconnect(receiver)
    assert snapshot() == [[], [], [], []]


def test_progress_bar_is_drawn_when_asked():
    err = StringIO()
    call_command(
        "import_pages", str(PAGES / ASBAREZ[1]), site="Asbarez", progress=True,
        stdout=StringIO(), stderr=err,
    )  # fmt: skip
    assert "001_c063493f46c78712.txt [##############################] 12/12 comments" in (
        err.getvalue()
    )


def test_no_progress_bar_when_output_is_not_a_terminal():
    err = StringIO()
    call_command(
        "import_pages", str(PAGES / ASBAREZ[1]), site="Asbarez", stdout=StringIO(), stderr=err
    )
    assert err.getvalue() == ""


def test_a_thread_too_deep_to_number_is_refused_and_writes_nothing(tmp_path):
    lines = ["Title", "", "Body.", "", "  1. Ann said:", "", "    Hi.", ""]
    for depth in range(1, 131):
        indent = " " * (2 + 2 * depth)
        lines += [f"{indent}• Reader said:", "", f"{indent}  Reply {depth}.", ""]
    deep = tmp_path / "deep.txt"
    deep.write_text("\n".join(lines), "utf-8")
    with pytest.raises(CommandError, match=r"deep\.txt: line \d+: .*nested too deep to number"):
        import_pages(deep, site="Asbarez")
    assert snapshot() == [[], [], [], []]


def test_only_web_addresses_become_an_articles_source_link():
    from archive.importing.loader import load
    from archive.importing.records import ArticleRecord, ParsedSource

    for n, url in enumerate(["javascript:alert(1)", "https://asbarez.com/a/"]):
        parsed = ParsedSource(source="wxr", site_name="Asbarez")
        parsed.articles.append(ArticleRecord(key=str(n), title="T", source_url=url))
        load(parsed, site_name="Asbarez")
    assert list(Article.objects.order_by("source_key").values_list("source_url", flat=True)) == [
        "",
        "https://asbarez.com/a/",
    ]


def test_a_site_named_in_another_case_is_the_same_site():
    import_pages(PAGES / ASBAREZ[1], site="Asbarez")
    import_pages(PAGES / ASBAREZ[3], site="asbarez")
    assert list(Site.objects.values_list("name", flat=True)) == ["Asbarez"]


def test_a_page_without_comments_is_imported_with_a_warning(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("Meeting notes\n\nBuy milk.\n", "utf-8")
    output = import_pages(notes, site="Asbarez")
    assert "notes.txt: no comments found" in output
    assert Article.objects.get().title == "Meeting notes"


# Text that cannot be placed (issue 11) is reported with its line and left out: never folded
# into the site's policy or the article.

POLICY_CAPTURE = ASBAREZ[3]  # 004: policy, then comments 1 and 2, no reply form after them


def capture_with(tmp_path, name: str, edit):
    text = (PAGES / POLICY_CAPTURE).read_text("utf-8")
    path = tmp_path / name
    path.write_text(edit(text), "utf-8")
    return path


def orphan_reply(text: str) -> str:
    first = "\n  1. sylva portoian,MD said:"
    assert text.count(first) == 1
    orphan = "\n    • Ghost said:\n\n      I answer a comment on the page before.\n\n"
    return text.replace(first, orphan + first)


def policy_versions() -> list[tuple[int, str]]:
    from moderation.models import Policy

    return list(Policy.objects.order_by("version").values_list("version", "text"))


def test_a_reply_before_the_first_comment_is_reported_and_left_out(tmp_path):
    path = capture_with(tmp_path, "orphan.txt", orphan_reply)
    line = path.read_text("utf-8").split("\n").index("    • Ghost said:") + 1

    output = import_pages(path, site="Asbarez")

    assert f"orphan.txt: line {line}: a reply before the first numbered comment" in output
    assert "left out ('Ghost said:')" in output
    assert not Comment.objects.filter(body_text__contains="page before").exists()
    assert Comment.objects.count() == 2
    article = Article.objects.get()
    assert "Ghost" not in article.body
    assert "Ghost" not in article.site.policy_text


def test_an_orphan_reply_leaves_the_policy_untouched(tmp_path):
    import_pages(PAGES / POLICY_CAPTURE, site="Asbarez")
    policy, versions = Site.objects.get().policy_text, policy_versions()

    output = import_pages(capture_with(tmp_path, "orphan.txt", orphan_reply), site="Asbarez")

    assert Site.objects.get().policy_text == policy
    assert policy_versions() == versions
    assert "policy" not in output.replace("discussion policy", "")
    # The audit event of the import records the warning, and no policy change.
    event = AuditEvent.objects.filter(action="import").latest("id")
    assert event.after["policy_changed"] is False
    assert any("reply" in w for w in event.after["warnings"]), event.after["warnings"]


def cut_mid_comment(text: str) -> str:
    return text[: text.index("the question is what Russians") + 10]


def test_a_capture_cut_off_mid_comment_warns_and_leaves_that_comment_out(tmp_path):
    path = capture_with(tmp_path, "cut.txt", cut_mid_comment)
    line = path.read_text("utf-8").split("\n").index("  2. N.ohanian said:") + 1

    output = import_pages(path, site="Asbarez")

    assert f"cut.txt: line {line}: the capture ends inside comment 2" in output
    assert "stops mid-text" in output
    assert list(Comment.objects.values_list("position", flat=True)) == ["1"]


def test_a_capture_cut_off_mid_thread_leaves_the_policy_untouched(tmp_path):
    import_pages(PAGES / POLICY_CAPTURE, site="Asbarez")
    policy, versions = Site.objects.get().policy_text, policy_versions()

    import_pages(capture_with(tmp_path, "cut.txt", cut_mid_comment), site="Asbarez")
    import_pages(
        capture_with(tmp_path, "cut-in-marker.txt", lambda t: t[: t.index("  2. N.ohan") + 4]),
        site="Asbarez",
    )

    assert Site.objects.get().policy_text == policy
    assert policy_versions() == versions


def test_a_capture_cut_off_inside_the_policy_leaves_the_policy_untouched(tmp_path):
    import_pages(PAGES / POLICY_CAPTURE, site="Asbarez")
    policy = Site.objects.get().policy_text
    path = capture_with(tmp_path, "cut.txt", lambda t: t[: t.index("fully responsible") + 5])

    output = import_pages(path, site="Asbarez")

    assert "the capture ends inside the discussion policy" in output
    assert Site.objects.get().policy_text == policy


def test_a_thread_without_the_reply_form_after_it_may_be_cut_off(tmp_path):
    path = capture_with(tmp_path, "whole.txt", lambda t: t + "\n")
    output = import_pages(path, site="Asbarez")
    assert "whole.txt: line 75: the capture ends with comment 2 and no reply form" in output
    assert Comment.objects.count() == 2


def test_a_thread_followed_by_the_reply_form_is_complete():
    output = import_pages(PAGES / ASBAREZ[2], site="Asbarez")
    assert "no reply form" not in output


def test_a_policy_change_from_an_import_is_shown(tmp_path):
    import_pages(PAGES / POLICY_CAPTURE, site="Asbarez")
    edited = capture_with(
        tmp_path, "edited.txt", lambda t: t.replace("Comments are welcomed", "Comments are read")
    )

    output = import_pages(edited, site="Asbarez")

    assert "edited.txt: this file changes the site's posted policy text" in output
    assert "was: 'Comments are welcomed" in output
    assert "now: 'Comments are read" in output


def test_a_first_policy_from_an_import_is_shown():
    output = import_pages(PAGES / POLICY_CAPTURE, site="Asbarez")
    assert "the site's posted policy is now the text of this file: 'Comments are" in output

"""A moderator triaging with the keyboard in a real browser (keys.js)."""

import re

import pytest
from playwright.sync_api import expect

from moderation import services
from moderation.models import AuditEvent, Status, Tag
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_queue(page, live_server, log_in):
    log_in("mona")  # the `moderator` persona
    page.wait_for_url(f"{live_server.url}/queue/")  # a moderator's home


def test_moderator_removes_a_comment_for_personal_attack_with_the_keyboard(
    page, live_server, log_in, moderator, article, tmp_path
):
    insult = factories.make_comment(article, "You are an idiot.", author="troll")
    other = factories.make_comment(article, "A fair point about the budget.", author="ann")
    open_queue(page, live_server, log_in)

    page.keyboard.press("j")
    row = page.locator(f"#comment-{insult.pk}")
    expect(row).to_have_class(re.compile(r"\bis-current\b"))
    expect(row).to_be_focused()
    page.keyboard.press("r")
    expect(page.locator("[data-live]")).to_contain_text("Remove for which category?")
    page.keyboard.press("2")

    expect(row).to_have_attribute("data-status", "removed")
    expect(row.locator(".badge.status-removed")).to_have_text("Removed")
    expect(row.locator(".decided")).to_contain_text("for Personal attack")
    expect(row.locator('input[name="version"]').first).to_have_value("1")
    expect(page.locator("[data-live]")).to_have_text("Comment 1 removed for Personal attack.")
    expect(page.locator(f"#comment-{other.pk}")).to_have_attribute("data-status", "pending")
    page.screenshot(path=str(tmp_path / "queue.png"), full_page=True)

    event = AuditEvent.objects.get(action="comment.removed")
    assert (event.actor.username, event.comment_id) == ("mona", insult.pk)
    assert event.after["reasons"] == ["personal-attack"]
    assert services.state_of(insult) == (Status.REMOVED, 1)

    # The removal is on the audit history page, with who did it and why.
    page.get_by_role("link", name="Audit").click()
    audit_row = page.locator(f"#event-{event.pk}")
    expect(audit_row).to_contain_text("mona")
    expect(audit_row).to_contain_text("Removed")
    expect(audit_row).to_contain_text("personal-attack")


def test_moderator_undoes_her_last_action_with_u(page, live_server, log_in, moderator, article):
    comment = factories.make_comment(article, "Borderline.")
    open_queue(page, live_server, log_in)
    row = page.locator(f"#comment-{comment.pk}")
    page.keyboard.press("j")
    page.keyboard.press("e")
    expect(row).to_have_attribute("data-status", "escalated")
    expect(page.locator("[data-undo]")).to_be_visible()
    page.keyboard.press("u")
    expect(row).to_have_attribute("data-status", "pending")
    expect(page.locator("[data-live]")).to_have_text("Undone: comment 1 is pending again.")
    expect(page.locator("[data-undo]")).to_be_hidden()
    assert services.state_of(comment) == (Status.PENDING, 2)


def test_approving_a_tagged_comment_asks_for_a_note(page, live_server, log_in, moderator, article):
    comment = factories.make_comment(article, "Sharp, but fair.")
    services.tag(moderator, comment, factories.category(article.site, "personal-attack"))
    open_queue(page, live_server, log_in)
    asked = []

    def answer(dialog):
        asked.append(dialog.message)
        dialog.accept("Satire, not an attack")

    page.on("dialog", answer)
    page.keyboard.press("j")
    page.keyboard.press("a")
    row = page.locator(f"#comment-{comment.pk}")
    expect(row).to_have_attribute("data-status", "approved")
    assert len(asked) == 1
    assert "approving it needs a note" in asked[0]
    assert comment.decisions.get().note == "Satire, not an attack"


def test_a_stale_row_shows_who_changed_it(
    page, live_server, log_in, moderator, other_moderator, article
):
    comment = factories.make_comment(article, "Contested.")
    open_queue(page, live_server, log_in)
    services.decide(other_moderator, comment, Status.APPROVED, expected_version=0)
    page.keyboard.press("j")
    page.keyboard.press("e")
    live = page.locator("[data-live]")
    expect(live).to_contain_text("Comment 1 changed while you were looking: bob")
    expect(live).to_have_class(re.compile(r"\berror\b"))
    row = page.locator(f"#comment-{comment.pk}")
    expect(row).to_have_attribute("data-status", "approved")  # the row now shows bob's decision
    expect(row).to_have_attribute("data-version", "1")
    assert services.state_of(comment) == (Status.APPROVED, 1)


def test_bulk_escalation_of_rows_selected_with_x(page, live_server, log_in, moderator, article):
    first, second, third = (factories.make_comment(article, f"Text {i}") for i in range(3))
    open_queue(page, live_server, log_in)
    for key in ("j", "x", "j", "j", "x"):
        page.keyboard.press(key)
    page.locator("#bulk-form").get_by_role("button", name="Escalate").click()
    expect(page.locator("[data-live]")).to_have_text("2 comments escalated (1, 3).")
    expect(page.locator(f"#comment-{first.pk}")).to_have_attribute("data-status", "escalated")
    expect(page.locator(f"#comment-{second.pk}")).to_have_attribute("data-status", "pending")
    expect(page.locator(f"#comment-{third.pk}")).to_have_attribute("data-status", "escalated")
    expect(page.locator("[data-bulk-select]:checked")).to_have_count(0)


def test_question_mark_lists_the_keys(page, live_server, log_in, moderator, article):
    factories.make_comment(article, "Anything.")
    open_queue(page, live_server, log_in)
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("r then 1 … 9")
    expect(dialog).to_contain_text("Remove, for the category with that number")
    expect(dialog).to_contain_text("Undo your last action")
    # The categories moderators apply, defined where they apply them.
    attack = factories.category(article.site, "personal-attack")
    expect(dialog).to_contain_text(f"2 · {attack.name}")
    expect(dialog).to_contain_text(attack.definition)
    expect(dialog.get_by_role("link", name=re.compile("policy"))).to_have_attribute(
        "href", "/policy/"
    )
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


def test_keys_do_nothing_while_typing_in_a_field(page, live_server, log_in, moderator, article):
    factories.make_comment(article, "Anything.")
    open_queue(page, live_server, log_in)
    page.keyboard.press("/")  # on the queue: the text search
    expect(page.locator("#id_q")).to_be_focused()
    page.keyboard.type("jar")
    expect(page.locator("#id_q")).to_have_value("jar")
    assert not AuditEvent.objects.filter(actor__username="mona").exists()


def test_slash_goes_to_the_queue(page, live_server, log_in, moderator, article):
    factories.make_comment(article, "Anything.")
    open_queue(page, live_server, log_in)
    page.goto(f"{live_server.url}/articles/{article.pk}/")
    page.keyboard.press("/")
    page.wait_for_url(f"{live_server.url}/queue/")


def select_words(page, comment, words):
    """Drag the mouse over `words` in the comment's shown text, as a person would."""
    box = page.evaluate(
        """([id, words]) => {
            const body = document.querySelector(`#comment-${id} .comment-body`);
            const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
            while (walker.nextNode()) {
                const node = walker.currentNode, at = node.data.indexOf(words);
                if (at === -1) continue;
                const range = document.createRange();
                range.setStart(node, at);
                range.setEnd(node, at + words.length);
                const r = range.getBoundingClientRect();
                return {left: r.left, right: r.right, y: r.top + r.height / 2};
            }
            return null;
        }""",
        [comment.pk, words],
    )
    page.mouse.move(box["left"] + 1, box["y"])
    page.mouse.down()
    page.mouse.move(box["right"] - 1, box["y"], steps=5)
    page.mouse.up()


def test_moderator_tags_a_selected_passage_on_the_thread(
    page, live_server, log_in, moderator, article
):
    text = "Ça va? 😀 First paragraph.\n\nLine one,\nyou are an idiot, frankly."
    comment = factories.make_comment(article, text, author="troll")
    open_queue(page, live_server, log_in)
    page.goto(f"{live_server.url}/articles/{article.pk}/")

    select_words(page, comment, "you are an idiot")
    row = page.locator(f"#comment-{comment.pk}")
    expect(row.locator("[data-span-note]")).to_contain_text("Passage “you are an idiot”")
    page.keyboard.press("2")

    expect(row.locator(".tag-quote")).to_have_text("you are an idiot")
    expect(row.locator("mark.passage")).to_have_text("you are an idiot")
    tag = Tag.objects.get()
    start = text.index("you are an idiot")  # in characters, as Python counts them
    assert (tag.span_start, tag.span_end) == (start, start + len("you are an idiot"))
    assert tag.quoted_text == "you are an idiot"
    assert tag.category.slug == "personal-attack"


def test_a_passage_across_a_line_break_is_body_text_exactly(
    page, live_server, log_in, moderator, article
):
    text = "Line one ends here\nand you are a fool."
    comment = factories.make_comment(article, text)
    open_queue(page, live_server, log_in)
    page.goto(f"{live_server.url}/articles/{article.pk}/")
    # Select from "here" to "and": across the <br>, which is "\n" in body_text.
    page.evaluate(
        """(id) => {
            const p = document.querySelector(`#comment-${id} .comment-body p`);
            const [first, , second] = p.childNodes;
            const range = document.createRange();
            range.setStart(first, first.data.indexOf("here"));
            range.setEnd(second, second.data.indexOf("and") + 3);
            getSelection().removeAllRanges();
            getSelection().addRange(range);
            document.dispatchEvent(new MouseEvent("mouseup", {bubbles: true}));
        }""",
        comment.pk,
    )
    page.locator(f"#comment-{comment.pk}").focus()
    page.keyboard.press("1")
    expect(page.locator(f"#comment-{comment.pk} .tag-quote")).to_be_visible()
    tag = Tag.objects.get()
    assert tag.quoted_text == "here\nand"
    assert text[tag.span_start : tag.span_end] == "here\nand"


def test_a_wrong_digit_after_r_keeps_waiting_for_a_category(
    page, live_server, log_in, moderator, article
):
    insult = factories.make_comment(article, "You are an idiot.", author="troll")
    open_queue(page, live_server, log_in)
    page.keyboard.press("j")
    page.keyboard.press("r")
    page.keyboard.press("9")
    expect(page.locator("[data-live]")).to_contain_text("No category 9 here")
    page.keyboard.press("2")
    row = page.locator(f"#comment-{insult.pk}")
    expect(row).to_have_attribute("data-status", "removed")
    assert not Tag.objects.exists()  # the second digit removed; it did not tag


def test_feedback_stays_in_view_after_scrolling(page, live_server, log_in, moderator, article):
    comments = [factories.make_comment(article, f"Comment number {i}.") for i in range(25)]
    open_queue(page, live_server, log_in)
    for _ in range(25):
        page.keyboard.press("j")
    page.keyboard.press("e")
    expect(page.locator(f"#comment-{comments[-1].pk}")).to_have_attribute(
        "data-status", "escalated"
    )
    live = page.locator("[data-live]")
    expect(live).to_be_in_viewport()
    expect(page.locator("[data-undo]")).to_be_in_viewport()

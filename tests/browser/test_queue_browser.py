"""A moderator triaging with the keyboard in a real browser (keys.js)."""

import re

import pytest
from playwright.sync_api import expect

from moderation import services
from moderation.models import AuditEvent, Status, Tag
from tests import factories
from tests.browser.conftest import no_sideways_scroll
from tests.factories import Named, named

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
    expect(page.locator("[data-live]")).to_have_text(
        f"{Named(insult)} removed for Personal attack."
    )
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
    expect(page.locator("[data-live]")).to_have_text(f"Undone: {named(comment)} is pending again.")
    expect(page.locator("[data-undo]")).to_be_hidden()
    assert services.state_of(comment) == (Status.PENDING, 2)


def test_approving_a_tagged_comment_asks_for_a_note_in_the_row(
    page, live_server, log_in, moderator, article
):
    comment = factories.make_comment(article, "Sharp, but fair.")
    services.tag(moderator, comment, factories.category(article.site, "personal-attack"))
    open_queue(page, live_server, log_in)
    prompts = []
    page.on("dialog", lambda dialog: prompts.append(dialog.message) or dialog.dismiss())
    page.keyboard.press("j")
    page.keyboard.press("a")
    row = page.locator(f"#comment-{comment.pk}")
    note = row.locator('form[data-action="approve"] input[name="note"]')
    expect(note).to_be_focused()
    expect(page.locator("[data-live]")).to_contain_text("Type it in the Note field")
    expect(row).to_have_attribute("data-status", "pending")
    page.keyboard.type("Satire, not an attack")
    page.keyboard.press("Enter")
    expect(row).to_have_attribute("data-status", "approved")
    assert prompts == []  # no browser prompt box
    assert comment.decisions.get().note == "Satire, not an attack"


def test_ten_comments_triaged_with_the_keyboard_without_j_after_each(
    page, size, live_server, log_in, moderator, article
):
    made = [factories.make_comment(article, f"Comment {i} of ten.") for i in range(10)]
    open_queue(page, live_server, log_in)
    page.keyboard.press("j")
    # approve, remove for 1, escalate, in turn: each action moves on to the next comment
    keys = [["a"], ["r", "1"], ["e"]] * 4
    for comment, pressed in zip(made, keys, strict=False):
        row = page.locator(f"#comment-{comment.pk}")
        expect(row).to_have_class(re.compile(r"\bis-current\b"))
        for key in pressed:
            page.keyboard.press(key)
        expect(row).not_to_have_attribute("data-status", "pending")
    expected = [Status.APPROVED, Status.REMOVED, Status.ESCALATED] * 4
    assert [services.state_of(c)[0] for c in made] == expected[:10]
    # A tag does not move on: a comment may need several before its decision.
    last = factories.make_comment(article, "One more.")
    page.reload()
    page.keyboard.press("j")
    page.keyboard.press("1")
    row = page.locator(f"#comment-{last.pk}")
    expect(row).to_have_attribute("data-tagged", "true")
    expect(row).to_have_class(re.compile(r"\bis-current\b"))


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
    expect(page.locator("[data-live]")).to_have_text(
        f"2 comments escalated (1, 3 on “{first.article.title}”)."
    )
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
    """Drag the mouse over `words` in the comment's shown text, as a person would (from the
    first letter's line to the last one's, should a narrow screen wrap them; across marks
    the page put inside the words, such as screening's)."""
    box = page.evaluate(
        """([id, words]) => {
            const body = document.querySelector(`#comment-${id} .comment-body`);
            body.scrollIntoView({block: "center"});
            const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
            const nodes = [];
            while (walker.nextNode()) nodes.push(walker.currentNode);
            const whole = nodes.map((n) => n.data).join("");
            const at = whole.indexOf(words);
            if (at === -1) return null;
            const place = (offset) => {
                for (const node of nodes) {
                    if (offset <= node.data.length) return [node, offset];
                    offset -= node.data.length;
                }
                return null;
            };
            const range = document.createRange();
            range.setStart(...place(at));
            range.setEnd(...place(at + words.length));
            const rects = Array.from(range.getClientRects()).filter((r) => r.width > 0);
            const first = rects[0], last = rects[rects.length - 1];
            return {
                left: first.left, top: first.top + first.height / 2,
                right: last.right, bottom: last.top + last.height / 2,
            };
        }""",
        [comment.pk, words],
    )
    page.mouse.move(box["left"] + 1, box["top"])
    page.mouse.down()
    page.mouse.move(box["right"] - 1, box["bottom"], steps=5)
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


def test_a_moderator_reads_the_policy_on_a_phone_without_scrolling_sideways(
    page, live_server, log_in, moderator, article
):
    open_queue(page, live_server, log_in)
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()  # a phone's page: the sections folded into the menu
    policy = page.get_by_role("link", name="Policy")
    expect(policy).to_be_hidden()
    page.get_by_text("Menu", exact=True).click()
    policy.click()
    attack = factories.category(article.site, "personal-attack")
    expect(page.get_by_text(attack.definition)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_on_a_phone_the_queue_s_filters_start_folded(page, live_server, log_in, moderator, article):
    factories.make_comment(article, "Anything.")
    page.set_viewport_size({"width": 390, "height": 844})
    open_queue(page, live_server, log_in)
    words = page.get_by_label("Words")
    expect(words).to_be_hidden()
    page.get_by_text("Filters", exact=True).click()
    expect(words).to_be_visible()
    words.fill("anything")
    words.press("Enter")
    page.wait_for_url(re.compile(r"q=anything"))
    expect(page.get_by_label("Words")).to_be_visible()  # a chosen filter keeps them open
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/queue/")
    expect(page.get_by_label("Words")).to_be_visible()
    expect(page.get_by_text("Filters", exact=True)).to_be_hidden()


def test_a_long_comment_shows_its_first_lines_and_o_opens_it(
    page, live_server, log_in, moderator, article
):
    long = factories.make_comment(
        article, "\n\n".join(f"Paragraph {i} of a rant." for i in range(12))
    )
    short = factories.make_comment(article, "Short and sweet.")
    open_queue(page, live_server, log_in)
    body = page.locator(f"#comment-{long.pk} .comment-body")
    folded = body.evaluate("b => b.scrollHeight - b.clientHeight")
    assert folded > 20  # lines are hidden
    expect(page.locator(f"#comment-{short.pk} [data-open]")).to_have_count(0)
    button = page.locator(f"#comment-{long.pk} [data-open]")
    expect(button).to_have_text("Show all")
    page.keyboard.press("j")
    page.keyboard.press("o")
    expect(button).to_have_text("Show less")
    assert body.evaluate("b => b.scrollHeight - b.clientHeight") <= 1
    button.click()
    expect(button).to_have_attribute("aria-expanded", "false")
    assert body.evaluate("b => b.scrollHeight - b.clientHeight") > 20


def test_a_passage_selected_in_a_queue_row_is_tagged_as_that_passage(
    page, size, live_server, log_in, moderator, article
):
    other = factories.make_comment(article, "Nothing to see here.")
    text = "I read the article twice.\n\nFrankly, you are an idiot and so is the editor."
    comment = factories.make_comment(article, text)
    open_queue(page, live_server, log_in)
    select_words(page, comment, "you are an idiot")
    row = page.locator(f"#comment-{comment.pk}")
    expect(row).to_have_class(re.compile(r"\bis-current\b"))
    expect(row.locator("[data-span-note]")).to_contain_text("Passage “you are an idiot”")
    page.keyboard.press("2")
    expect(page.locator("[data-live]")).to_have_text(
        f"{Named(comment)} tagged Personal attack on the passage “you are an idiot”."
    )
    expect(row.locator("mark.passage")).to_have_text("you are an idiot")
    tag = Tag.objects.get()
    assert (tag.comment_id, tag.quoted_text) == (comment.pk, "you are an idiot")
    assert text[tag.span_start : tag.span_end] == "you are an idiot"
    assert not other.tags.exists()


def test_u_on_a_fresh_page_offers_nothing_done_on_another(
    page, size, live_server, log_in, moderator, article
):
    mine = factories.make_comment(article, "On this article.")
    other_article = factories.make_article(article.site, title="Another story")
    there = factories.make_comment(other_article, "On another article.")
    open_queue(page, live_server, log_in)
    page.goto(f"{live_server.url}/queue/?article={other_article.pk}")
    page.keyboard.press("j")
    page.keyboard.press("e")
    expect(page.locator(f"#comment-{there.pk}")).to_have_attribute("data-status", "escalated")
    page.goto(f"{live_server.url}/queue/?article={article.pk}")
    expect(page.locator("[data-undo]")).to_be_hidden()
    page.keyboard.press("u")
    expect(page.locator("[data-live]")).to_have_text("Nothing to undo.")
    assert services.state_of(there)[0] == Status.ESCALATED
    assert services.state_of(mine)[0] == Status.PENDING


def test_c_shows_the_thread_and_the_commenter_record_beside_the_queue(
    page, size, live_server, log_in, moderator, other_moderator, article, site
):
    parent = factories.make_comment(article, "Budgets are moral documents.", author="Ani")
    reply = factories.make_comment(
        article, "Wrong again, as always.", parent=parent, author="Vartan"
    )
    sibling = factories.make_comment(article, "I agree with Ani.", parent=parent, author="Lena")
    earlier = factories.make_comment(factories.make_article(site), "Old insult", author="Vartan")
    attack = factories.category(site, "personal-attack")
    services.decide(other_moderator, earlier, Status.REMOVED, expected_version=0, reasons=[attack])
    services.add_commenter_note(other_moderator, earlier.commenter, text="Warned once by email.")
    open_queue(page, live_server, log_in)
    page.locator(f"#comment-{reply.pk}").focus()  # selects the row, as j would
    page.keyboard.press("c")
    panel = page.locator("#context-panel")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("Budgets are moral documents.")  # its parent
    expect(panel).to_contain_text("I agree with Ani.")  # a sibling
    expect(panel).to_contain_text("Vartan’s record")
    expect(panel).to_contain_text("Personal attack 1")  # removals by category
    expect(panel).to_contain_text("Warned once by email.")
    assert no_sideways_scroll(page, size)
    # The panel follows the selection: the next row's context.
    page.keyboard.press("j")
    expect(panel.locator("[data-context-for]")).to_have_attribute(
        "data-context-for", str(sibling.pk)
    )
    expect(panel).to_contain_text("Lena’s record")
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    # A note from the panel comes back to the queue row.
    page.keyboard.press("k")
    page.keyboard.press("c")
    expect(panel).to_contain_text("Vartan’s record")
    panel.get_by_label("Note for other moderators").fill("Second warning due.")
    panel.get_by_role("button", name="Add note").click()
    page.wait_for_url(re.compile(rf"/queue/.*#comment-{reply.pk}$"))
    expect(page.locator(".messages")).to_contain_text("Note on Vartan added.")
    assert reply.commenter.notes.filter(text="Second warning due.").exists()


def test_the_flagged_tab_shows_the_banned_word_and_s_tags_that_passage(
    page, size, live_server, log_in, moderator, article
):
    factories.make_comment(article, "I disagree with the minister.")
    text = "Honestly, only a complete moron would vote for this budget."
    flagged = factories.make_comment(article, text)
    open_queue(page, live_server, log_in)
    page.get_by_role("link", name=re.compile(r"^Flagged")).click()
    page.wait_for_url(re.compile(r"status=flagged"))
    rows = page.locator("[data-row]")
    expect(rows.first).to_have_id(f"comment-{flagged.pk}")  # first, and the only one
    expect(rows).to_have_count(1)
    row = rows.first
    expect(row.locator("mark.suggested")).to_have_text("moron")
    expect(row.locator(".suggestion.flags")).to_contain_text("Suggested: Personal attack")
    page.keyboard.press("j")
    page.keyboard.press("s")
    expect(page.locator("[data-live]")).to_have_text(
        f"{Named(flagged)} tagged Personal attack on the passage “moron”."
    )
    expect(row.locator("mark.passage")).to_have_text("moron")
    tag = Tag.objects.get()
    assert (tag.comment_id, tag.quoted_text, tag.moderator) == (flagged.pk, "moron", moderator)
    assert text[tag.span_start : tag.span_end] == "moron"
    assert services.state_of(flagged)[0] == Status.PENDING  # a tag, not a decision

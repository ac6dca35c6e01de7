"""Scripts by job, each page loading only what it uses: keys.js for every page a moderator
sees, forms.js where moderation forms are, passages.js where a comment's text can be tagged,
panel.js where a row's context can open beside the list; and each file doing its part when
the others are missing."""

import re

import pytest
from playwright.sync_api import expect

from moderation import services
from moderation.models import Status, Tag
from tests import factories
from tests.factories import Named

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def no_script_errors(page):
    """Every test here also fails if a script throws (a name one file took from another)."""
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield
    assert errors == []


@pytest.fixture
def script_requests(page):
    """The file names of the scripts the page asks the server for."""
    requested = []

    def on_request(request):
        if request.resource_type == "script":
            requested.append(request.url.rsplit("/", 1)[-1])

    page.on("request", on_request)
    return requested


def scripts_of(page):
    """The file names of the page's script elements, in order."""
    return page.evaluate(
        "Array.from(document.scripts, (s) => s.src ? s.src.split('/').pop() : '(inline)')"
    )


def open_queue(page, live_server, log_in, moderator):
    log_in(moderator.username)
    page.wait_for_url(f"{live_server.url}/queue/")


@pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/password_reset/"])
def test_the_login_pages_load_no_script(page, script_requests, live_server, path):
    page.goto(f"{live_server.url}{path}")
    assert page.locator("script").count() == 0
    page.wait_for_load_state("networkidle")
    assert script_requests == []


def test_a_researcher_loads_no_script(
    page, script_requests, live_server, log_in, researcher, article
):
    factories.make_comment(article, "A fair point about the budget.")
    log_in(researcher.username)
    page.wait_for_url(f"{live_server.url}/articles/")
    assert scripts_of(page) == []
    page.goto(f"{live_server.url}/articles/{article.pk}/")  # the thread, without controls
    assert scripts_of(page) == []
    page.keyboard.press("?")
    expect(page.locator("dialog")).to_have_count(0)
    page.wait_for_load_state("networkidle")
    assert script_requests == []


def test_each_moderator_page_loads_only_the_scripts_it_uses(
    page, live_server, log_in, moderator, article
):
    factories.make_comment(article, "Anything.")
    open_queue(page, live_server, log_in, moderator)
    # passages in rows too; the side panel (c) on the queue alone
    assert scripts_of(page) == ["keys.js", "forms.js", "passages.js", "panel.js"]
    expected = {
        f"/articles/{article.pk}/": ["keys.js", "forms.js", "passages.js"],
        "/articles/": ["keys.js"],
        "/audit/": ["keys.js"],
        f"/articles/{article.pk}/public/": ["keys.js"],
    }
    for path, scripts in expected.items():
        page.goto(f"{live_server.url}{path}")
        assert scripts_of(page) == scripts, path


def test_keys_alone_show_the_help_and_go_to_the_queue(page, live_server, log_in, moderator):
    open_queue(page, live_server, log_in, moderator)
    page.goto(f"{live_server.url}/audit/")
    assert scripts_of(page) == ["keys.js"]
    page.get_by_role("button", name="Keyboard shortcuts").click()
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_contain_text("Go to the queue")
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()
    page.keyboard.press("j")  # no rows here: nothing happens, nothing breaks
    page.keyboard.press("/")
    page.wait_for_url(f"{live_server.url}/queue/")


def test_a_queue_button_acts_in_place_and_u_undoes_it(
    page, live_server, log_in, moderator, article
):
    comment = factories.make_comment(article, "Borderline.")
    open_queue(page, live_server, log_in, moderator)
    page.evaluate("window.stillThisPage = true")
    row = page.locator(f"#comment-{comment.pk}")
    row.get_by_role("button", name="Escalate").click()

    expect(row).to_have_attribute("data-status", "escalated")
    expect(row.locator(".badge.status-escalated")).to_be_visible()
    expect(page.locator("[data-live]")).to_have_text(f"{Named(comment)} escalated.")
    expect(page.locator("[data-undo]")).to_be_visible()
    assert page.evaluate("window.stillThisPage") is True  # fetch, not a page load
    expect(row).to_have_class(re.compile(r"\bis-current\b"))  # the row clicked is selected

    page.keyboard.press("u")
    expect(row).to_have_attribute("data-status", "pending")
    expect(page.locator("[data-undo]")).to_be_hidden()
    assert page.evaluate("window.stillThisPage") is True
    assert services.state_of(comment) == (Status.PENDING, 2)


def test_without_forms_js_a_key_posts_the_form_the_ordinary_way(
    page, live_server, log_in, moderator, article
):
    comment = factories.make_comment(article, "Borderline.")
    page.route("**/static/js/forms.js", lambda route: route.abort())
    open_queue(page, live_server, log_in, moderator)
    page.evaluate("window.stillThisPage = true")
    page.keyboard.press("j")
    page.keyboard.press("e")
    # The queue again, loaded afresh: the comment has left it (it shows pending ones).
    expect(page.locator("[data-undo-label]")).to_have_text(f"{Named(comment)} escalated.")
    expect(page.locator(f"#comment-{comment.pk}")).to_have_count(0)
    assert page.evaluate("window.stillThisPage") is None
    assert services.state_of(comment) == (Status.ESCALATED, 1)


def test_without_panel_js_c_opens_the_context_as_a_page(
    page, live_server, log_in, moderator, article
):
    comment = factories.make_comment(article, "Borderline.", author="Vartan")
    page.route("**/static/js/panel.js", lambda route: route.abort())
    open_queue(page, live_server, log_in, moderator)
    page.keyboard.press("j")
    page.keyboard.press("c")
    page.wait_for_url(re.compile(rf"/comments/{comment.pk}/context/"))
    expect(page.get_by_text("Vartan’s record")).to_be_visible()
    page.get_by_role("link", name="Back").click()  # to the queue row it came from
    page.wait_for_url(re.compile(rf"/queue/#comment-{comment.pk}$"))


def test_without_keys_js_a_passage_is_tagged_with_the_mouse(
    page, live_server, log_in, moderator, article
):
    text = "A fair start, then: you are an idiot, frankly."
    comment = factories.make_comment(article, text, author="troll")
    page.route("**/static/js/keys.js", lambda route: route.abort())
    open_queue(page, live_server, log_in, moderator)
    page.goto(f"{live_server.url}/articles/{article.pk}/")
    row = page.locator(f"#comment-{comment.pk}")
    box = page.evaluate(
        """([id, words]) => {
            const body = document.querySelector(`#comment-${id} .comment-body`);
            const node = body.querySelector("p").firstChild, at = node.data.indexOf(words);
            const range = document.createRange();
            range.setStart(node, at);
            range.setEnd(node, at + words.length);
            const r = range.getBoundingClientRect();
            return {left: r.left, right: r.right, y: r.top + r.height / 2};
        }""",
        [comment.pk, "you are an idiot"],
    )
    page.mouse.move(box["left"] + 1, box["y"])
    page.mouse.down()
    page.mouse.move(box["right"] - 1, box["y"], steps=5)
    page.mouse.up()
    expect(row.locator("[data-span-note]")).to_contain_text("Passage “you are an idiot”")

    row.get_by_label("Category to tag comment").select_option(label="2 · Personal attack")
    row.get_by_role("button", name="Tag", exact=True).click()
    expect(row.locator("mark.passage")).to_have_text("you are an idiot")  # marked again
    tag = Tag.objects.get()
    start = text.index("you are an idiot")
    assert (tag.span_start, tag.span_end) == (start, start + len("you are an idiot"))

"""A person reading a thread in a real browser."""

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_logging_in_and_reading_a_thread_as_the_page_showed_it(
    page, live_server, log_in, seeds, researcher, tmp_path
):
    page.goto(f"{live_server.url}/articles/")
    assert "/accounts/login/" in page.url  # anonymous visitors log in first

    log_in(researcher.username)
    page.wait_for_url(f"{live_server.url}/articles/")
    page.get_by_role(
        "link", name="Putin Finally Reveals His Solution to the Artsakh Conflict"
    ).click()

    page.get_by_role("heading", name="12 comments").wait_for()
    vartan = page.locator('[data-position="2"]')
    reply = page.locator('[data-position="2.1"]')
    assert vartan.locator(".author").inner_text() == "Vartan"
    assert reply.locator(".author").inner_text() == "Barséghian Ardachèce"
    # The reply is drawn indented under the comment it answers.
    assert reply.bounding_box()["x"] > vartan.bounding_box()["x"] + 10
    # Paragraphs of a comment are paragraphs on screen.
    assert page.locator('[data-position="1"] .comment-body p').count() == 2
    page.screenshot(path=str(tmp_path / "thread.png"), full_page=True)


def test_j_at_the_end_of_a_long_threads_stretch_loads_the_next_and_moves_on(
    page, live_server, log_in, moderator, article, tmp_path
):
    from playwright.sync_api import expect

    from moderation.queries import TOP_LEVEL_PER_CHUNK
    from tests import factories

    made = factories.make_thread(article, TOP_LEVEL_PER_CHUNK + 5)
    log_in(moderator.username)
    page.wait_for_url(f"{live_server.url}/queue/")
    page.goto(f"{live_server.url}/articles/{article.pk}/")
    rows = page.locator("[data-row]")
    expect(rows).to_have_count(TOP_LEVEL_PER_CHUNK)
    page.locator(f"#comment-{made[TOP_LEVEL_PER_CHUNK - 1].pk}").focus()
    page.keyboard.press("j")
    expect(rows).to_have_count(TOP_LEVEL_PER_CHUNK + 5)  # the next stretch, in place
    following = page.locator(f"#comment-{made[TOP_LEVEL_PER_CHUNK].pk}")
    expect(following).to_have_class(re.compile(r"\bis-current\b"))
    expect(page.locator("a[data-more]")).to_have_count(0)
    assert page.url == f"{live_server.url}/articles/{article.pk}/"  # no page load
    # The loaded comments are as live as the first ones: the keyboard acts on them.
    page.keyboard.press("e")
    expect(following.locator(".badge.status-escalated")).to_be_visible()
    page.screenshot(path=str(tmp_path / "long-thread.png"), full_page=False)


def test_a_deep_link_into_a_long_thread_lands_on_the_comment(
    page, live_server, log_in, researcher, article
):
    from tests import factories

    made = factories.make_thread(article, 120)
    target = made[90]
    log_in(researcher.username)
    page.wait_for_url(f"{live_server.url}/articles/")
    page.goto(f"{live_server.url}/articles/{article.pk}/?at={target.pk}#comment-{target.pk}")
    box = page.locator(f"#comment-{target.pk}").bounding_box()
    assert 0 <= box["y"] < page.viewport_size["height"]

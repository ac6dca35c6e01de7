"""A person reading a thread in a real browser."""

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

"""Each role, logged in through the real form, sees only its own navigation."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NAVIGATION = {
    # Policy read-only: the definitions they export; Insights: the aggregates
    "researcher": ["Articles", "Insights", "Export", "Policy"],
    # Policy read-only: what they apply; Insights: the team's figures
    "moderator": ["Queue", "Reviews", "Articles", "Insights", "Audit", "Policy"],
    "admin": [
        "Queue",
        "Reviews",
        "Articles",
        "Insights",
        "Audit",
        "Export",
        "Imports",
        "Users",
        "Policy",
    ],
}


def nav_links(page):
    return page.locator("nav[aria-label=Main] a").all_inner_texts()


@pytest.mark.parametrize("role", list(NAVIGATION))
def test_each_role_sees_only_its_navigation(page, log_in, role, request):
    persona = request.getfixturevalue(role)  # the `admin`, `moderator` or `researcher` fixture
    log_in(persona.username)
    page.locator("nav[aria-label=Main]").wait_for()
    assert sorted(nav_links(page)) == sorted(NAVIGATION[role])


def test_a_researcher_typing_a_moderator_url_gets_403(page, live_server, log_in, researcher):
    log_in(researcher.username)
    page.locator("nav[aria-label=Main]").wait_for()
    for path in ("/queue/", "/audit/", "/users/", "/policy/1/"):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 403, path


def test_an_anonymous_visitor_is_sent_to_the_login_page(page, live_server):
    page.goto(f"{live_server.url}/queue/")
    assert page.url == f"{live_server.url}/accounts/login/?next=/queue/"
    assert page.get_by_role("heading", name="Log in").is_visible()

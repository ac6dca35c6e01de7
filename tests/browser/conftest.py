"""Playwright driving Debian's Chromium (never a downloaded browser).

Without Chromium the browser tests are skipped with the reason; with REQUIRE_BROWSER=1 (CI)
a missing browser fails them instead.
"""

import os
import shutil

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make to set
# up data are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def chromium_path():
    return (
        os.environ.get("CHROMIUM_PATH")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if not path:
        reason = "no Chromium found (apt-get install chromium)"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


# The two sizes the workspace is checked at: a laptop, and a phone.
SIZES = {"desktop": (1366, 900), "phone": (390, 844)}


@pytest.fixture(params=list(SIZES))
def size(request, page):
    """Runs a test at each of SIZES, the page already at that size; returns its width."""
    width, height = SIZES[request.param]
    page.set_viewport_size({"width": width, "height": height})
    return width


def no_sideways_scroll(page, width):
    return page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.fixture
def log_in(page, live_server):
    def log_in(username, password="correct horse battery staple"):
        page.goto(f"{live_server.url}/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")

    return log_in

"""/insights/ in Chromium, at a desk (1366 x 900) and on a phone (390 x 844): a month of
moderation drawn as charts, with no console error (the strict CSP refuses inline scripts and
styles: a chart that needed one would show here), no sideways scrolling, every chart's
table one click away, and a picture of each size (`make screenshots` keeps them in
SCREENSHOTS_DIR: insights-month-desktop.png, insights-month-phone.png, each chart alone)."""

import os
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from archive.models import Comment
from moderation import services
from moderation.models import Category, ModerationState, Status
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": (1366, 900), "phone": (390, 844)}
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def month(site, moderator, other_moderator, admin):
    """Four weeks on one site: 80 comments arriving through the days, most decided by mona
    or bob some hours later, some removed for a category, some tagged, one undone."""
    rng = random.Random(15)
    article = factories.make_article(site, title="Budget debate")
    other = factories.make_article(site, title="Election night")
    categories = list(Category.objects.filter(site=site).order_by("order"))
    made = []
    for i in range(80):
        at = START + timedelta(hours=8 * i + rng.randint(0, 5))
        with time_machine.travel(at, tick=False):
            made.append(
                (
                    factories.make_comment(
                        article if i % 3 else other, f"Comment {i}", author=f"Reader {i % 9}"
                    ),
                    at,
                )
            )
    for i, (comment, at) in enumerate(made):
        if i % 10 == 9:
            continue  # still waiting
        who = moderator if i % 2 else other_moderator
        when = at + timedelta(minutes=rng.randint(10, 60 * 30))
        if i % 4 == 0:
            ModerationState.objects.filter(comment=comment).update(flag_score=0.8)
        with time_machine.travel(when, tick=False):
            if i % 5 == 0:
                reason = categories[i % len(categories)]
                services.tag(who, comment, reason)
                services.decide(who, comment, Status.REMOVED, expected_version=0, reasons=[reason])
            elif i % 7 == 0:
                services.decide(who, comment, Status.ESCALATED, expected_version=0)
            else:
                decision = services.decide(who, comment, Status.APPROVED, expected_version=0)
                if i == 11:
                    services.undo(who, decision.audit_event)
    assert Comment.objects.filter(article__site=site).count() == 80
    return site


def test_insights_at_a_desk_and_on_a_phone(browser, live_server, month, tmp_path):
    out = Path(os.environ.get("SCREENSHOTS_DIR") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    path = "/insights/?start=2026-03-02&end=2026-03-29"
    for size, (width, height) in SIZES.items():
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        errors = []
        page.on("console", lambda m, e=errors: m.type == "error" and e.append(m.text))
        page.on("pageerror", lambda exc, e=errors: e.append(str(exc)))
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "ada")
        page.fill("#id_password", "correct horse battery staple")
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        page.goto(f"{live_server.url}{path}")
        assert page.url.endswith(path)
        # Every chart drawn, each a picture with a name.
        charts = page.locator("svg.chart-svg[role=img]")
        assert charts.count() >= 5
        assert page.locator("svg.chart-svg title").first.text_content()
        for key in ("daily", "waits", "categories", "articles", "commenters", "moderators"):
            assert page.locator(f"section#{key}").is_visible(), key
        # The numbers behind a chart open with one click, and the first day is there.
        table = page.locator("section#daily details.data")
        table.locator("summary").click()
        assert table.locator("tbody tr").first.inner_text().startswith("2026-03-02")
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, f"{wide} px wide at {size}"
        assert errors == [], errors
        page.screenshot(path=str(out / f"insights-month-{size}.png"), full_page=True)
        if os.environ.get("SCREENSHOTS_DIR"):  # and each chart alone, to look at closely
            for section in page.locator("section.insight").all():
                key = section.get_attribute("id")
                section.screenshot(path=str(out / f"insights-month-{key}-{size}.png"))
        context.close()
    assert all((out / f"insights-month-{size}.png").stat().st_size > 10_000 for size in SIZES)

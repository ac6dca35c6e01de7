"""The pages people work in, at a desk (1366 x 900) and on a phone (390 x 844), as each role sees
them over the seed captures: no console error and no sideways scrolling on any of them.

`make screenshots` runs this file with SCREENSHOTS_DIR set, and the pictures are kept there
(queue, the queue with its side panel, thread, commenter, audit, policy, export, users,
the review pages and the insights, at both sizes); in the suite they go to a
temporary directory.
"""

import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db.models import Count

from archive.models import Article, Comment
from moderation import services
from moderation.models import Category, Sample, Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A desk, a phone, and the narrowest phone in common use (checked for sideways scrolling too).
SIZES = {"desktop": (1366, 900), "phone": (390, 844), "small-phone": (360, 740)}

# The innermost elements that stick out past the screen's right edge, to name in a failure.
OVERFLOWING = """width => Array.from(document.querySelectorAll("body *"))
    .filter(el => el.getBoundingClientRect().right > width + 1 && !el.querySelector("*"))
    .slice(0, 3)
    .map(el => {
        const right = Math.round(el.getBoundingClientRect().right);
        return `${el.tagName.toLowerCase()}.${el.className} ${right}px`;
    })
    .join(", ")"""


@pytest.fixture
def seeded(moderator, other_moderator, admin):
    """The seed captures, with a morning's moderation on the longest thread, every judged
    comment drawn for a second review, one gold item and one disagreement to adjudicate."""
    call_command("load_seeds", verbosity=0)
    article = Article.objects.annotate(n=Count("comments")).order_by("-n", "pk").first()
    comments = list(Comment.objects.filter(article=article).order_by("thread_order")[:8])
    attack = Category.objects.get(site=article.site, slug="personal-attack")
    profanity = Category.objects.get(site=article.site, slug="profanity")
    services.set_review_plan(admin, article.site, share=100, seed="screenshots")
    services.tag(moderator, comments[0], attack)
    services.decide(moderator, comments[0], Status.REMOVED, expected_version=0, reasons=[attack])
    services.tag(other_moderator, comments[0], attack)
    services.tag(moderator, comments[1], profanity)
    services.decide(moderator, comments[2], Status.ESCALATED, expected_version=0)
    services.decide(other_moderator, comments[3], Status.APPROVED, expected_version=0)
    services.decide(moderator, comments[4], Status.APPROVED, expected_version=0)
    services.review(admin, comments[3], positives=[attack], blind=True)  # disagrees with bob
    labels = {c: int(c == profanity) for c in Category.objects.filter(site=article.site)}
    services.set_gold(admin, comments[5], labels=labels, note="Profanity, masked.")
    return article, comments


def pages(article, comments):
    commenter = next(c.commenter_id for c in comments if c.commenter_id)
    disagreed = Sample.objects.get(comment=comments[3]).pk  # bob approved, ada said attack
    return [
        ("queue", "mona", "/queue/"),
        ("queue-context", "mona", "/queue/"),  # with the side panel open on a row (`c`)
        ("queue-flagged", "mona", "/queue/?status=flagged"),  # screening's suggestions first
        ("word-lists", "ada", f"/policy/{article.site_id}/words/"),
        ("thread", "mona", f"/articles/{article.pk}/"),
        ("articles", "mona", "/articles/?order=pending"),
        ("commenter", "mona", f"/commenters/{commenter}/"),
        ("audit", "mona", "/audit/"),
        ("policy", "mona", "/policy/"),
        ("export", "rhea", "/export/"),
        ("users", "ada", "/users/"),
        ("second-review", "bob", "/review/"),
        ("review", "bob", f"/review/comments/{comments[4].pk}/"),
        ("adjudication", "ada", "/review/adjudication/"),
        (
            "adjudicate",
            "ada",
            f"/review/adjudication/{disagreed}/",
        ),
        ("review-quality", "ada", "/review/quality/"),
        ("sampling", "ada", "/review/plans/"),
        ("gold", "ada", "/review/gold/"),
        ("insights", "ada", "/insights/"),  # every chart, per moderator too
        ("insights-researcher", "rhea", "/insights/"),  # the aggregates only
    ]


def test_every_page_at_a_desk_and_on_a_phone(
    browser, live_server, seeded, admin, researcher, pseudonym_key, tmp_path
):
    out = Path(os.environ.get("SCREENSHOTS_DIR") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    problems, taken = [], []
    for name, username, path in pages(*seeded):
        for size, (width, height) in SIZES.items():
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            errors = []
            page.on("console", lambda m, e=errors: m.type == "error" and e.append(m.text))
            page.on("pageerror", lambda exc, e=errors: e.append(str(exc)))
            page.goto(f"{live_server.url}/accounts/login/?next={path}")
            page.fill("#id_username", username)
            page.fill("#id_password", "correct horse battery staple")
            page.click("button[type=submit]")
            page.wait_for_load_state("networkidle")
            assert page.url.endswith(path), (name, page.url)
            if name == "queue-context":
                page.keyboard.press("j")
                page.keyboard.press("c")
                page.locator("#context-panel [data-context-for]").wait_for()
            wide = page.evaluate("document.documentElement.scrollWidth")
            if wide > width:
                culprits = page.evaluate(OVERFLOWING, width)
                problems.append(f"{name} at {size}: {wide} px wide for {width} ({culprits})")
            problems.extend(f"{name} at {size}: {error}" for error in errors)
            file = out / f"{name}-{size}.png"
            page.screenshot(path=str(file), full_page=os.environ.get("FULL_PAGE", "1") == "1")
            taken.append(file)
            context.close()
    assert problems == []
    assert all(file.stat().st_size > 10_000 for file in taken)

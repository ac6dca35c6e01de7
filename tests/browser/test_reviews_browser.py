"""The designed overlap end to end: an Admin sets a 20 % second-review share, a second
moderator works the Second review stream blind, the Admin adjudicates a disagreement, and the
export page shows alpha on the designed overlap with its interval and n."""

import re

import pytest
from playwright.sync_api import expect

from moderation import services
from moderation.models import Sample, Status
from moderation.services import reviews
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def seed_drawing(drawn, others, share=0.2):
    for n in range(100_000):
        seed = f"browser-{n}"
        if all(reviews.draw_value(seed, c.pk) < share for c in drawn) and all(
            reviews.draw_value(seed, c.pk) >= share for c in others
        ):
            return seed
    raise AssertionError("no seed found")


def test_second_review_blind_then_adjudicated_then_exported(
    page, live_server, log_in, site, article, admin, moderator, other_moderator, pseudonym_key
):
    attack = factories.category(site, "personal-attack")
    insult = factories.make_comment(article, "You clown, nobody asked you.", author="Karo")
    fine = factories.make_comment(article, "Good point about the budget.", author="Ani")
    rest = [factories.make_comment(article, f"Comment {i}") for i in range(3)]
    seed = seed_drawing([insult, fine], rest)

    # The admin sets 20 % for the site.
    log_in(admin.username)
    page.get_by_role("link", name="Reviews").click()
    page.get_by_role("link", name="Sampling").click()
    row = page.locator("tr", has_text=site.name)
    row.get_by_label("Share (%)").fill("20")
    row.get_by_label("Seed").fill(seed)
    row.get_by_role("button", name="Save").click()
    expect(page.get_by_text("20% of comments are now drawn")).to_be_visible()

    # mona judges: removes the insult for a personal attack, approves the others.
    services.decide(moderator, insult, Status.REMOVED, expected_version=0, reasons=[attack])
    for c in [fine, *rest]:
        services.decide(moderator, c, Status.APPROVED, expected_version=0)
    assert set(Sample.objects.values_list("comment_id", flat=True)) == {insult.pk, fine.pk}

    # bob works his Second review stream: blind.
    page.context.clear_cookies()
    log_in(other_moderator.username)
    page.get_by_role("link", name="Reviews").click()
    expect(page.get_by_role("heading", name="Second review")).to_be_visible()
    for text, verdict in (("You clown", "No violation"), ("Good point", "No violation")):
        item = page.locator("li", has_text=text)
        item.get_by_role("link", name="Review").click()
        html = page.content()
        assert moderator.username not in html
        assert "Removed" not in html
        assert "Approved" not in html
        page.get_by_role("button", name=verdict).click()
        expect(page.get_by_text("is recorded")).to_be_visible()
    expect(page.get_by_text("Nothing to review")).to_be_visible()

    # The admin adjudicates the disagreement.
    page.context.clear_cookies()
    log_in(admin.username)
    page.get_by_role("link", name="Reviews").click()
    page.get_by_role("link", name="Adjudication", exact=True).click()
    page.locator("li", has_text="You clown").get_by_role("link", name="Adjudicate").click()
    expect(page.get_by_text("(differs)")).to_be_visible()
    page.get_by_label(re.compile("Personal attack")).check()
    page.get_by_label("Note").fill("An insult, as the first reviewer said.")
    page.get_by_role("button", name="Record the adjudication").click()
    expect(page.get_by_text("No disagreement is waiting")).to_be_visible()

    # The export page: alpha on the designed overlap, with its interval and n.
    page.get_by_role("link", name="Export").click()
    designed = page.locator("#designed-overlap")
    expect(designed).to_be_visible()
    attack_row = designed.locator("tr", has_text="Personal attack")
    expect(attack_row).to_contain_text("n=2")
    expect(attack_row).to_contain_text("too few items")
    assert re.search(r"\[-?[0-9.]+, -?[0-9.]+\]", attack_row.inner_text())

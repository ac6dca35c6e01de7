"""/insights/: every figure computed on a scenario built through the services a moderator
uses (comments posted and decisions made at chosen moments, with time_machine) and compared
with values worked out by hand in the comments; the kept roll-ups against a fresh recount;
`manage.py recount_insights`; who sees what; and bad input.

The scenario, `fortnight` (days in UTC, the test settings' TIME_ZONE; weeks start on Monday:
2 March 2026 is a Monday, so the two weeks are 2-8 and 9-15 March):

    Asbarez (categories P = Profanity, PA = Personal attack, O = Other inappropriate
    material), second-review plan 100 %; articles Budget debate (A), Tram extension (B),
    Election night (C). Coast Herald: article Port strike (D). Moderators mona, bob, cleo.

    before the range
      c0   B  anonymous  27 Feb 10:00                         stays pending
      e0   B  anonymous  27 Feb 11:00  mona escalates 28 Feb 09:00; bob back to pending
                                       7 Mar 15:00
      c20  D  anonymous  26 Feb 12:00                         stays pending
    week of 2 March
      c1   A  Vartan  2 Mar 09:00  bob tags P 09:20; mona removes [P, PA] 13:00
      c2   A  Lusine  2 Mar 22:00  flag .49; mona approves 3 Mar 01:00 (across midnight)
      c3   B  Vartan  2 Mar 23:00  flag .2; mona approves 3 Mar 00:30, undoes it 00:40;
                                   bob removes [O] 06:00
      c4   A  Aram    3 Mar 08:00  flag .5; bob removes [PA] 08:10; mona approves 12:00
      c5   B  Lusine  3 Mar 09:00  bob escalates 09:05; mona removes [P] 4 Mar 09:00
      c6   C  Vartan  4 Mar 10:00  flag .9; mona removes [O] 10:20
      c7   C  anon.   4 Mar 11:00  flag .7; mona approves 11:01
      c8   A  Aram    4 Mar 12:00  flag .3; mona tags PA 12:05, tags P 12:06 and retracts
                                   it 12:07; stays pending
      c21  D  anon.   4 Mar 14:00  bob approves 16:00
           (5 March: nothing happens)
      c9   B  Vartan  6 Mar 08:00  flag .6; mona removes [PA] 08:00:30, undoes it 08:01
      c11  B  Aram    8 Mar 23:30  flag .8; bob tags O 9 Mar 00:20, removes [PA] 00:35
    week of 9 March
      c10  A  Lusine 10 Mar 10:00  bob tags O 10:29, removes [P] 10:30
    second reviews (blind), 11 Mar: cleo agrees on c6 [O] (mona's), bob agrees on c7 (none,
    mona's), cleo disagrees on c10 [PA] (bob's); 20 Mar, after the range: cleo on c2 [P].
"""

import csv
import io
import math
import re
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import F
from django.urls import reverse

from moderation import charts, insights
from moderation.insights import Scope
from moderation.models import (
    InsightCategoryWeek,
    InsightDay,
    InsightModeratorDay,
    InsightWait,
    ModerationState,
    Sample,
    Status,
)
from moderation.services import insights as rollups
from moderation.services import judgements, reviews
from tests import factories

APPROVED, REMOVED, ESCALATED, PENDING = (
    Status.APPROVED, Status.REMOVED, Status.ESCALATED, Status.PENDING
)  # fmt: skip
MINUTE, HOUR, DAY = 60, 3600, 86400
WEEK_1, WEEK_2 = date(2026, 3, 2), date(2026, 3, 9)
FORTNIGHT = "?start=2026-03-02&end=2026-03-15"
CHARTS = ["daily", "waits", "categories", "articles", "commenters", "moderators", "screening"]


# Building a scenario at chosen moments


def at(month, day, hour=0, minute=0, second=0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


def travel(moment):
    return time_machine.travel(moment, tick=False)


def post(article, when, author=None, *, flag=None):
    """A comment posted (so queued) at `when`, with screening's suggestion `flag` (set by
    hand, so the site's word lists play no part)."""
    with travel(when):
        comment = factories.make_comment(article, "A comment.", author=author)
    ModerationState.objects.filter(comment=comment).update(flag_score=flag)
    return comment


def decide(user, comment, status, when, *reasons, note=""):
    version = ModerationState.objects.get(comment=comment).version
    with travel(when):
        return judgements.decide(
            user, comment, status, expected_version=version, reasons=reasons, note=note
        )


def undo(user, event, when):
    """Undo the action of `event` (a decision's `audit_event`, or an earlier undo's)."""
    with travel(when):
        return judgements.undo(user, event)


def tag(user, comment, category, when):
    with travel(when):
        return judgements.tag(user, comment, category)


def retract(user, made, when):
    with travel(when):
        return judgements.retract(user, made)


def second_review(user, comment, when, *positives):
    """A blind review from the Second review stream: the sample's second review."""
    with travel(when):
        return reviews.review(user, comment, positives=positives, blind=True)


def all_counted():
    """What the roll-ups hold, to compare before and after."""
    models = (InsightDay, InsightModeratorDay, InsightCategoryWeek, InsightWait)
    return {m.__name__: sorted(m.objects.values_list()) for m in models}


# Checking a wait known to its bucket


def assert_wait(found, seconds, n):
    """`found` (a Percentile) is the bucket of the hand-worked wait `seconds`, taken from
    `n` waits."""
    assert found is not None, f"no percentile where {seconds} s was worked out"
    assert found.low <= seconds < found.high, (seconds, found)
    assert (found.low, found.high) == rollups.bounds(rollups.bucket(seconds)), (seconds, found)
    assert found.n == n


def shown(seconds) -> str:
    """How a page or a CSV writes the percentile whose hand-worked wait is `seconds`: the
    middle of its bucket, as a duration."""
    low, high = rollups.bounds(rollups.bucket(seconds))
    return charts.duration(math.sqrt(low * high))


def assert_hours(cell, seconds):
    """A CSV's hours column (the bucket's middle, to 0.01 h) holds the hand-worked wait's
    bucket."""
    low, high = rollups.bounds(rollups.bucket(seconds))
    assert low <= float(cell) * HOUR < high, (cell, seconds)


@pytest.fixture
def fortnight(site, article, moderator, other_moderator, admin):
    """The scenario of the module docstring; its roll-ups equal a fresh recount."""
    mona, bob = moderator, other_moderator
    cleo = factories.make_moderator("cleo")
    # P, PA and O of the module docstring.
    profanity, attack, other = (
        factories.category(site, slug)
        for slug in ("profanity", "personal-attack", "other-inappropriate")
    )
    budget = article
    tram = factories.make_article(site, title="Tram extension")
    election = factories.make_article(site, title="Election night")
    herald = factories.make_site("Coast Herald", policy_text="Be civil.")
    strike = factories.make_article(herald, title="Port strike")
    with travel(at(2, 20, 12)):
        # Every first approval or removal on Asbarez is drawn for a second review.
        reviews.set_plan(admin, site, share=100, seed="insights")

    c0 = post(tram, at(2, 27, 10))
    e0 = post(tram, at(2, 27, 11))
    decide(mona, e0, ESCALATED, at(2, 28, 9))
    c20 = post(strike, at(2, 26, 12))

    c1 = post(budget, at(3, 2, 9), "Vartan")
    tag(bob, c1, profanity, at(3, 2, 9, 20))
    decide(mona, c1, REMOVED, at(3, 2, 13), profanity, attack)

    c2 = post(budget, at(3, 2, 22), "Lusine", flag=0.49)
    decide(mona, c2, APPROVED, at(3, 3, 1))

    c3 = post(tram, at(3, 2, 23), "Vartan", flag=0.2)
    undone = decide(mona, c3, APPROVED, at(3, 3, 0, 30))
    undo(mona, undone.audit_event, at(3, 3, 0, 40))
    decide(bob, c3, REMOVED, at(3, 3, 6), other)

    c4 = post(budget, at(3, 3, 8), "Aram", flag=0.5)
    decide(bob, c4, REMOVED, at(3, 3, 8, 10), attack)
    decide(mona, c4, APPROVED, at(3, 3, 12))

    c5 = post(tram, at(3, 3, 9), "Lusine")
    decide(bob, c5, ESCALATED, at(3, 3, 9, 5))
    decide(mona, c5, REMOVED, at(3, 4, 9), profanity)

    c6 = post(election, at(3, 4, 10), "Vartan", flag=0.9)
    decide(mona, c6, REMOVED, at(3, 4, 10, 20), other)

    c7 = post(election, at(3, 4, 11), flag=0.7)
    decide(mona, c7, APPROVED, at(3, 4, 11, 1))

    c8 = post(budget, at(3, 4, 12), "Aram", flag=0.3)
    tag(mona, c8, attack, at(3, 4, 12, 5))
    withdrawn = tag(mona, c8, profanity, at(3, 4, 12, 6))
    retract(mona, withdrawn, at(3, 4, 12, 7))

    c21 = post(strike, at(3, 4, 14))
    decide(bob, c21, APPROVED, at(3, 4, 16))

    c9 = post(tram, at(3, 6, 8), "Vartan", flag=0.6)
    undone = decide(mona, c9, REMOVED, at(3, 6, 8, 0, 30), attack)
    undo(mona, undone.audit_event, at(3, 6, 8, 1))

    decide(bob, e0, PENDING, at(3, 7, 15))

    c11 = post(tram, at(3, 8, 23, 30), "Aram", flag=0.8)
    tag(bob, c11, other, at(3, 9, 0, 20))
    decide(bob, c11, REMOVED, at(3, 9, 0, 35), attack)

    c10 = post(budget, at(3, 10, 10), "Lusine")
    tag(bob, c10, other, at(3, 10, 10, 29))
    decide(bob, c10, REMOVED, at(3, 10, 10, 30), profanity)

    second_review(cleo, c6, at(3, 11, 10), other)
    second_review(bob, c7, at(3, 11, 10, 5))
    second_review(cleo, c10, at(3, 11, 10, 10), attack)
    second_review(cleo, c2, at(3, 20, 10), profanity)
    states = dict(Sample.objects.values_list("comment_id", "state"))
    assert [states[c.pk] for c in (c6, c7, c10, c2)] == [
        "agreed", "agreed", "disagreed", "disagreed"
    ]  # fmt: skip

    assert rollups.recount(fix=False) == []
    return SimpleNamespace(
        site=site, herald=herald, mona=mona, bob=bob, cleo=cleo,
        profanity=profanity, attack=attack, other=other,
        budget=budget, tram=tram, election=election, strike=strike,
        c0=c0, e0=e0, c20=c20, c1=c1, c2=c2, c3=c3, c4=c4, c5=c5, c6=c6, c7=c7, c8=c8,
        c9=c9, c10=c10, c11=c11, c21=c21,
    )  # fmt: skip


def asbarez(s) -> Scope:
    return Scope((s.site.pk,), date(2026, 3, 2), date(2026, 3, 15))


def every_site() -> Scope:
    return Scope(None, date(2026, 3, 2), date(2026, 3, 15))


# The wait scale


def test_a_wait_falls_in_the_bucket_of_its_log_scale():
    # Bucket 0 is under a second; bucket k ≥ 1 is [2^((k-1)/16), 2^(k/16)) seconds.
    assert rollups.bucket(0) == rollups.bucket(0.999) == 0
    assert rollups.bucket(1) == 1  # 16·log2(1) = 0
    assert rollups.bucket(2) == 17  # 16·log2(2) = 16
    assert rollups.bounds(17) == (2.0, 2 ** (17 / 16))
    # An hour: 16·log2(3600) = 16 x 11.8138 = 189.02, so bucket 190, which is
    # [2^(189/16), 2^(190/16)) = [3596.8, 3756.0) seconds.
    assert rollups.bucket(HOUR) == 190
    low, high = rollups.bounds(190)
    assert round(low, 1) == 3596.8
    assert round(high, 1) == 3756.0
    for b in range(1, 400):  # each 2^(1/16) = 1.0443 times its low end, touching the next
        low, high = rollups.bounds(b)
        assert high / low == pytest.approx(1.0443, abs=1e-4)
        assert rollups.bounds(b + 1)[0] == high


def test_a_percentile_is_the_nearest_rank():
    # Ten waits: three in bucket 10, six in bucket 20, one in bucket 30. The median is the
    # ceil(0.5 x 10) = 5th shortest (bucket 20); the 90th percentile the 9th (bucket 20);
    # with an eleventh in bucket 30 the 90th is the ceil(9.9) = 10th (bucket 30).
    assert rollups.percentile({10: 3, 20: 6, 30: 1}, 50).low == rollups.bounds(20)[0]
    assert rollups.percentile({10: 3, 20: 6, 30: 1}, 90).low == rollups.bounds(20)[0]
    assert rollups.percentile({10: 3, 20: 6, 30: 2}, 90).low == rollups.bounds(30)[0]
    assert rollups.percentile({10: 3, 20: 6, 30: 2}, 90).n == 11
    assert rollups.percentile({}, 50) is None
    assert rollups.percentile({10: 0}, 50) is None


# The figures, on the scenario


def test_arrivals_decisions_and_backlog_per_day(fortnight):
    # Asbarez before 2 March: c0 and e0 arrived, e0 escalated: 1 pending, 1 escalated.
    # Decisions counted: an undone one and its undo in neither (c3's approval, c9's
    # removal); a reversal counts (mona's approval of c4 after bob's removal).
    days = insights.daily(asbarez(fortnight))
    table = [
        (d.day.day, d.arrived, d.approved, d.removed, d.escalated, d.reopened,
         d.pending, d.escalated_open, d.backlog)
        for d in days
    ]  # fmt: skip
    assert table == [
        # day arrived appr. rem. esc. reopened | pending escalated backlog
        (2, 3, 0, 1, 0, 0, 3, 1, 4),  # c1 c2 c3 in; c1 removed
        (3, 2, 2, 2, 1, 0, 1, 2, 3),  # c4 c5 in; c2 c4 approved, c3 c4 removed, c5 escalated
        (4, 3, 1, 2, 0, 0, 2, 1, 3),  # c6 c7 c8 in; c7 approved; c5 c6 removed
        (5, 0, 0, 0, 0, 0, 2, 1, 3),  # nothing: c0 c8 pending, e0 escalated
        (6, 1, 0, 0, 0, 0, 3, 1, 4),  # c9 in, removed and undone: back to pending
        (7, 0, 0, 0, 0, 1, 4, 0, 4),  # e0 back to pending
        (8, 1, 0, 0, 0, 0, 5, 0, 5),  # c11 in at 23:30
        (9, 0, 0, 1, 0, 0, 4, 0, 4),  # c11 removed at 00:35
        (10, 1, 0, 1, 0, 0, 4, 0, 4),  # c10 in and removed
        (11, 0, 0, 0, 0, 0, 4, 0, 4),  # c0 c8 c9 e0 pending from here on
        (12, 0, 0, 0, 0, 0, 4, 0, 4),
        (13, 0, 0, 0, 0, 0, 4, 0, 4),
        (14, 0, 0, 0, 0, 0, 4, 0, 4),
        (15, 0, 0, 0, 0, 0, 4, 0, 4),
    ]
    # Every site: Coast Herald adds c20, pending since 26 Feb, and c21 on 4 March (in and
    # approved the same day).
    everywhere = {d.day.day: d for d in insights.daily(every_site())}
    assert (everywhere[2].pending, everywhere[2].escalated_open) == (4, 1)
    assert (everywhere[4].arrived, everywhere[4].approved, everywhere[4].backlog) == (4, 2, 4)
    assert everywhere[15].backlog == 5
    # A range starting on an empty day after it all still carries the backlog.
    later = insights.daily(Scope((fortnight.site.pk,), date(2026, 4, 1), date(2026, 4, 1)))
    assert [(d.arrived, d.decisions, d.pending, d.escalated_open) for d in later] == [(0, 0, 4, 0)]


def test_wait_median_and_90th_percentile_per_week_and_per_site(fortnight):
    # First decisions (an escalation does not end a wait; an undone decision is none),
    # by the week of the decision, Asbarez:
    #   week of 2 Mar: c7 1 min = 60, c4 10 min = 600, c6 20 min = 1200,
    #     c2 22:00 → 01:00 = 3 h = 10800 (across midnight), c1 09:00 → 13:00 = 14400,
    #     c3 23:00 → bob's 06:00 = 7 h = 25200 (mona's approval at 00:30 was undone),
    #     c5 escalated at 09:05, removed a day after arrival = 86400.
    #     n = 7: median the 4th = 10800; 90th the ceil(6.3) = 7th = 86400.
    #   week of 9 Mar: c11 Sun 23:30 → Mon 00:35 = 3900 (counted in the week decided),
    #     c10 30 min = 1800. n = 2: median the 1st = 1800, 90th the 2nd = 3900.
    weekly, per_site = insights.waits(asbarez(fortnight))
    assert [w.week for w in weekly] == [WEEK_1, WEEK_2]
    assert_wait(weekly[0].median, 3 * HOUR, 7)
    assert_wait(weekly[0].p90, DAY, 7)
    assert_wait(weekly[1].median, 30 * MINUTE, 2)
    assert_wait(weekly[1].p90, 65 * MINUTE, 2)
    assert [w.n for w in weekly] == [7, 2]
    # Both weeks of Asbarez: 60, 600, 1200, 1800, 3900, 10800, 14400, 25200, 86400:
    # median the 5th = 3900, 90th the ceil(8.1) = 9th = 86400.
    assert [w.site.name for w in per_site] == ["Asbarez"]
    assert_wait(per_site[0].median, 65 * MINUTE, 9)
    assert_wait(per_site[0].p90, DAY, 9)

    # Every site adds c21 on Coast Herald, 14:00 → 16:00 = 7200, in the first week:
    # 60, 600, 1200, 7200, 10800, 14400, 25200, 86400: median the 4th = 7200, 90th the 8th.
    weekly, per_site = insights.waits(every_site())
    assert_wait(weekly[0].median, 2 * HOUR, 8)
    assert_wait(weekly[0].p90, DAY, 8)
    assert [w.site.name for w in per_site] == ["Asbarez", "Coast Herald"]
    assert_wait(per_site[0].median, 65 * MINUTE, 9)
    assert_wait(per_site[1].median, 2 * HOUR, 1)
    assert_wait(per_site[1].p90, 2 * HOUR, 1)


def test_removals_and_tags_per_category_per_week(fortnight):
    # Removals that stand, by their reasons, in the week of the removal:
    #   P: c1 (with PA: counted in both), c5; c10 in week 2        → [2, 1]
    #   PA: c1; c11 in week 2 (c4's reversed, c9's undone: none)   → [1, 1]
    #   O: c3 (bob's, after mona's undone approval), c6            → [2, 0]
    # Tags not retracted, in the week made:
    #   P: bob on c1 (mona's on c8 was retracted)                  → [1, 0]
    #   PA: mona on c8                                             → [1, 0]
    #   O: bob on c11 (Monday 00:20) and on c10                    → [0, 2]
    # Most removals first, then most tags: P (3), O (2, 2 tags), PA (2, 1 tag).
    weeks, rows = insights.categories(asbarez(fortnight))
    assert weeks == [WEEK_1, WEEK_2]
    assert [(r.category.slug, r.removals, r.tags) for r in rows] == [
        ("profanity", [2, 1], [1, 0]),
        ("other-inappropriate", [2, 0], [0, 2]),
        ("personal-attack", [1, 1], [1, 0]),
    ]
    # The first week alone: the same counts for its week.
    one = Scope((fortnight.site.pk,), date(2026, 3, 2), date(2026, 3, 8))
    _, rows = insights.categories(one)
    assert [(r.category.slug, r.removals, r.tags) for r in rows] == [
        ("profanity", [2], [1]),
        ("other-inappropriate", [2], [0]),
        ("personal-attack", [1], [1]),
    ]
    # Coast Herald removed and tagged nothing.
    elsewhere = Scope((fortnight.herald.pk,), date(2026, 3, 2), date(2026, 3, 15))
    assert insights.categories(elsewhere)[1] == []


def test_articles_and_commenters_drawing_the_most_removals(fortnight):
    # Removals that stand: Tram extension c3 c5 c11 (c9's undone) = 3; Budget debate c1 c10
    # (c4's reversed) = 2; Election night c6 = 1. Vartan c1 c3 c6 (c9's undone) = 3;
    # Lusine c5 c10 = 2; Aram c11 (c4's reversed) = 1.
    top = insights.top_articles(every_site())
    assert [(t.item.title, t.removals) for t in top] == [
        ("Tram extension", 3),
        ("Budget debate", 2),
        ("Election night", 1),
    ]
    offenders = insights.repeat_offenders(every_site())
    assert [(t.item.name, t.removals) for t in offenders] == [
        ("Vartan", 3),
        ("Lusine", 2),
        ("Aram", 1),
    ]
    # The second week alone: c11 (Aram, Tram extension) and c10 (Lusine, Budget debate);
    # one each, so the order is the rows' (the article and the commenter made first).
    second = Scope(None, date(2026, 3, 9), date(2026, 3, 15))
    assert [(t.item.title, t.removals) for t in insights.top_articles(second)] == [
        ("Budget debate", 1),
        ("Tram extension", 1),
    ]
    assert [(t.item.name, t.removals) for t in insights.repeat_offenders(second, n=1)] == [
        ("Lusine", 1)
    ]


def test_per_moderator_figures(fortnight):
    # Every site, 2-15 March (mona's escalation of e0 on 28 Feb is before it):
    # mona: approved c2 c4 c7, removed c1 c5 c6 = 6; undone c3's approval and c9's removal
    #   = 2, so an undo rate of 2 / (6 + 2) = 25 %; days with a decision that counts:
    #   2, 3, 4 March (6 March's was undone) = 3, so 2.0 a day. First decisions c7 60,
    #   c6 1200, c2 10800, c1 14400, c5 86400: median the 3rd = 10800. Samples: first
    #   reviewer of c6 and c7, both agreed = 100 % (c2's is reviewed after the range).
    # bob: approved c21; removed c3 c4 (reversed, still his decision) c11 c10; escalated
    #   c5; back to pending e0 = 7 on 3, 4, 7, 9, 10 March = 1.4 a day; none undone. First
    #   decisions c4 600, c10 1800, c11 3900, c21 7200, c3 25200: median 3900. Samples: c7
    #   (second, agreed) and c10 (first, disagreed) = 50 %.
    # cleo: no decision; samples c6 (agreed) and c10 (disagreed) = 50 %.
    rows = insights.per_moderator(every_site())
    assert [f.moderator.username for f in rows] == ["bob", "mona", "cleo"]
    bob, mona, cleo = rows
    assert (mona.approved, mona.removed, mona.escalated, mona.reopened) == (3, 3, 0, 0)
    assert (mona.decisions, mona.undone, mona.days, mona.per_day) == (6, 2, 3, 2.0)
    assert mona.undo_rate == 0.25
    assert mona.shares == [("approved", 0.5), ("removed", 0.5), ("escalated", 0), ("reopened", 0)]
    assert_wait(mona.median_wait, 3 * HOUR, 5)
    assert (mona.compared, mona.agreed, mona.agreement) == (2, 2, 1.0)

    assert (bob.approved, bob.removed, bob.escalated, bob.reopened) == (1, 4, 1, 1)
    assert (bob.decisions, bob.undone, bob.days, bob.per_day) == (7, 0, 5, 1.4)
    assert bob.undo_rate == 0
    assert bob.share("removed") == 4 / 7
    assert_wait(bob.median_wait, 65 * MINUTE, 5)
    assert (bob.compared, bob.agreed, bob.agreement) == (2, 1, 0.5)

    assert (cleo.decisions, cleo.days, cleo.per_day, cleo.undo_rate) == (0, 0, None, None)
    assert cleo.median_wait is None
    assert (cleo.compared, cleo.agreed) == (2, 1)

    # The first week only, Asbarez only: bob loses c21 (Coast Herald), c11 and c10
    # (week 2) and the samples reviewed on 11 March.
    week = insights.per_moderator(Scope((fortnight.site.pk,), date(2026, 3, 2), date(2026, 3, 8)))
    figures = {f.moderator.username: f for f in week}
    assert set(figures) == {"bob", "mona"}
    assert (figures["bob"].decisions, figures["bob"].days, figures["bob"].compared) == (4, 2, 0)
    assert (figures["mona"].decisions, figures["mona"].undone) == (6, 2)


def test_screening_against_first_decisions(fortnight):
    # Flagged: a suggestion of at least 0.5 when decided. First decisions, every site:
    #   week 1: flagged removed c4 (0.5) c6 (0.9); flagged approved c7 (0.7); unflagged
    #     removed c1 c3 (0.2) c5; unflagged approved c2 (0.49) c21. (c9, 0.6: undone.)
    #     Precision 2 / 3; recall 2 / (2 + 3) = 40 %.
    #   week 2: flagged removed c11 (0.8), unflagged removed c10: 100 % and 50 %.
    #   In all: 3 flagged removed, 1 flagged approved, 4 and 2: 75 % and 3 / 7.
    weeks, total = insights.screening(every_site())
    assert [(w.week, w.flagged_removed, w.flagged_approved, w.unflagged_removed,
             w.unflagged_approved) for w in weeks] == [
        (WEEK_1, 2, 1, 3, 2),
        (WEEK_2, 1, 0, 1, 0),
    ]  # fmt: skip
    assert (weeks[0].precision, weeks[0].recall) == (2 / 3, 0.4)
    assert (weeks[1].precision, weeks[1].recall) == (1.0, 0.5)
    assert (total.flagged_removed, total.flagged_approved) == (3, 1)
    assert (total.unflagged_removed, total.unflagged_approved) == (4, 2)
    assert (total.precision, total.recall) == (0.75, 3 / 7)


def test_days_and_weeks_are_the_dashboards_time_zone(settings, site, article, moderator):
    settings.TIME_ZONE = "America/New_York"  # UTC-5, and UTC-4 from 8 March 02:00
    profanity = factories.category(site, "profanity")
    # Posted 3 Mar 03:00 UTC = 2 Mar 22:00 in New York; removed 06:00 UTC = 3 Mar 01:00.
    late = post(article, at(3, 3, 3))
    decide(moderator, late, REMOVED, at(3, 3, 6), profanity)
    # Posted and removed on Monday 9 Mar 02:00 and 03:30 UTC: Sunday 8 Mar 22:00 and 23:30
    # in New York, so in the week of 2 March there.
    sunday = post(article, at(3, 9, 2))
    decide(moderator, sunday, REMOVED, at(3, 9, 3, 30), profanity)
    scope = Scope(None, date(2026, 3, 2), date(2026, 3, 9))
    days = {d.day.day: (d.arrived, d.removed) for d in insights.daily(scope)}
    assert days == {2: (1, 0), 3: (0, 1), 4: (0, 0), 5: (0, 0), 6: (0, 0), 7: (0, 0),
                    8: (1, 1), 9: (0, 0)}  # fmt: skip
    _, rows = insights.categories(scope)
    assert [(r.category.slug, r.removals) for r in rows] == [("profanity", [2, 0])]
    weekly, _ = insights.waits(scope)
    assert_wait(weekly[0].median, 90 * MINUTE, 2)  # 3 h and 1.5 h: the 1st is 1.5 h
    assert_wait(weekly[0].p90, 3 * HOUR, 2)
    assert rollups.recount(fix=False) == []


def test_an_undo_that_is_undone_counts_as_no_decision(site, article, moderator):
    # mona approves (2 Mar), undoes it (3 Mar), then undoes the undo (4 Mar): the comment
    # is approved again, by an undo. Counted decisions: none (the approval was undone, the
    # other two are undos); one undone decision in her undo rate; no first decision.
    # Backlog as it happened: pending at the end of 3 March only.
    c = post(article, at(3, 2, 9))
    approval = decide(moderator, c, APPROVED, at(3, 2, 10))
    reopened = undo(moderator, approval.audit_event, at(3, 3, 10))
    undo(moderator, reopened, at(3, 4, 10))
    assert ModerationState.objects.get(comment=c).status == APPROVED
    scope = Scope(None, date(2026, 3, 2), date(2026, 3, 4))
    assert [(d.arrived, d.decisions, d.pending) for d in insights.daily(scope)] == [
        (1, 0, 0),
        (0, 0, 1),
        (0, 0, 0),
    ]
    (mona,) = insights.per_moderator(scope)
    assert (mona.decisions, mona.reopened, mona.undone, mona.days) == (0, 0, 1, 0)
    assert mona.undo_rate == 1.0
    assert insights.waits(scope)[0][0].n == 0
    assert rollups.recount(fix=False) == []


# The roll-ups against a recount


def test_the_kept_roll_ups_equal_a_fresh_recount(fortnight):
    assert rollups.recount(fix=False) == []
    # And nothing was left to make: a recount that fixes finds nothing either.
    kept = all_counted()
    assert rollups.recount(fix=True) == []
    assert all_counted() == kept


def test_recount_insights_finds_and_fixes_a_drifted_roll_up(fortnight):
    site = fortnight.site
    InsightDay.objects.filter(site=site, day=date(2026, 3, 4)).update(arrived=F("arrived") + 5)
    InsightWait.objects.filter(site=fortnight.herald).delete()  # c21's
    drifted = all_counted()

    out = io.StringIO()
    call_command("recount_insights", "--dry-run", stdout=out)
    report = out.getvalue()
    assert f"InsightDay ({site.pk}, datetime.date(2026, 3, 4))" in report
    assert "kept {'arrived': 8" in report  # 3 arrived, 5 added by hand
    assert "counted {'arrived': 3" in report
    assert "InsightWait" in report
    assert "2 row(s) differ; nothing was changed." in report
    assert all_counted() == drifted

    out = io.StringIO()
    call_command("recount_insights", stdout=out)
    assert "Rewrote 2 row(s)." in out.getvalue()
    assert rollups.recount(fix=False) == []
    days = {d.day.day: d for d in insights.daily(asbarez(fortnight))}
    assert days[4].arrived == 3
    _, per_site = insights.waits(every_site())
    assert [(w.site.name, w.n) for w in per_site] == [("Asbarez", 9), ("Coast Herald", 1)]

    out = io.StringIO()
    call_command("recount_insights", stdout=out)
    assert "Every insight roll-up is right." in out.getvalue()


# The page and its downloads


class Tables(HTMLParser):
    """The text of each table cell, by the id of the page's section holding the table."""

    def __init__(self, html: str):
        super().__init__()
        self.sections: dict[str, list[list[list[str]]]] = {}
        self.section = None
        self.cell = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section" and attrs.get("id"):
            self.section = attrs["id"]
            self.sections[self.section] = []
        elif self.section is None:
            return
        elif tag == "table":
            self.sections[self.section].append([])
        elif tag == "tr":
            self.sections[self.section][-1].append([])
        elif tag in ("th", "td"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self.cell is not None:
            self.sections[self.section][-1][-1].append("".join(self.cell).strip())
            self.cell = None
        elif tag == "section":
            self.section = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def download(client, chart, query=FORTNIGHT):
    response = client.get(reverse("moderation:insights_csv", args=[chart]) + query)
    assert response.status_code == 200, (chart, response.status_code)
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    if [] in rows:  # a second table below: a blank row, its title, its headers, its rows
        blank = rows.index([])
        return rows[:blank], rows[blank + 1 :]
    return rows, []


def test_the_downloads_show_the_hand_worked_figures(fortnight, admin_client):
    # Every site, 2-15 March: the figures of the tests above.
    daily, _ = download(admin_client, "daily")
    assert daily[0] == ["Day", "Arrived", "Approved", "Removed", "Escalated",
                        "Back to pending", "Pending at end", "Escalated at end",
                        "Backlog at end"]  # fmt: skip
    # Asbarez's days with c20 (Coast Herald, pending since 26 Feb) added to the pending,
    # and c21 (in and approved on 4 March) to that day's arrivals and approvals.
    quiet = [["0", "0", "0", "0", "0", "5", "0", "5"]] * 5
    assert [row[1:] for row in daily[1:]] == [
        ["3", "0", "1", "0", "0", "4", "1", "5"],
        ["2", "2", "2", "1", "0", "2", "2", "4"],
        ["4", "2", "2", "0", "0", "3", "1", "4"],
        ["0", "0", "0", "0", "0", "3", "1", "4"],
        ["1", "0", "0", "0", "0", "4", "1", "5"],
        ["0", "0", "0", "0", "1", "5", "0", "5"],
        ["1", "0", "0", "0", "0", "6", "0", "6"],
        ["0", "0", "1", "0", "0", "5", "0", "5"],
        ["1", "0", "1", "0", "0", "5", "0", "5"],
        *quiet,
    ]
    assert [row[0] for row in daily[1:]] == [f"2026-03-{d:02}" for d in range(2, 16)]

    waits, by_site = download(admin_client, "waits")
    assert [row[0] for row in waits[1:]] == ["2026-03-02", "2026-03-09"]
    for row, median, p90, n in ((waits[1], 2 * HOUR, DAY, "8"), (waits[2], 1800, 3900, "2")):
        assert row[1:3] == [shown(median), shown(p90)]
        assert_hours(row[3], median)
        assert_hours(row[4], p90)
        assert row[5] == n
    assert by_site[0] == ["By site, over the weeks shown"]
    assert [row[0] for row in by_site[2:]] == ["Asbarez", "Coast Herald"]
    assert by_site[2][1:3] + by_site[2][5:] == [shown(3900), shown(DAY), "9"]
    assert by_site[3][1:3] + by_site[3][5:] == [shown(7200), shown(7200), "1"]

    categories, _ = download(admin_client, "categories")
    assert categories == [
        ["Category", "Site", "Removals 2026-03-02", "Removals 2026-03-09", "Removals",
         "Tags 2026-03-02", "Tags 2026-03-09", "Tags"],
        ["Profanity", "Asbarez", "2", "1", "3", "1", "0", "1"],
        ["Other inappropriate material", "Asbarez", "2", "0", "2", "0", "2", "2"],
        ["Personal attack", "Asbarez", "1", "1", "2", "1", "0", "1"],
    ]  # fmt: skip

    articles, _ = download(admin_client, "articles")
    assert articles[1:] == [
        ["Tram extension", "Asbarez", "3"],
        ["Budget debate", "Asbarez", "2"],
        ["Election night", "Asbarez", "1"],
    ]
    commenters, _ = download(admin_client, "commenters")
    assert commenters[1:] == [
        ["Vartan", "Asbarez", "3"],
        ["Lusine", "Asbarez", "2"],
        ["Aram", "Asbarez", "1"],
    ]

    moderators, _ = download(admin_client, "moderators")
    assert moderators[0][1:] == [
        "Decisions", "Per active day", "Approved", "Removed", "Escalated", "Back to pending",
        "Median wait", "Undo rate", "Agreement with peers", "Samples compared",
    ]  # fmt: skip
    # bob: 1, 4, 1, 1 of 7 = 14, 57, 14, 14 %; mona 3 and 3 of 6.
    assert moderators[1:] == [
        ["bob", "7", "1.4", "14 %", "57 %", "14 %", "14 %", shown(3900), "0 %", "50 %", "2"],
        ["mona", "6", "2.0", "50 %", "50 %", "0 %", "0 %", shown(3 * HOUR), "25 %", "100 %",
         "2"],
        ["cleo", "0", "—", "—", "—", "—", "—", "—", "—", "50 %", "2"],
    ]  # fmt: skip

    screening, total = download(admin_client, "screening")
    assert screening[1:] == [
        ["2026-03-02", "2", "1", "3", "2", "67 %", "40 %"],
        ["2026-03-09", "1", "0", "1", "0", "100 %", "50 %"],
    ]
    assert total[2:] == [["All weeks", "3", "1", "4", "2", "75 %", "43 %"]]


def test_the_page_shows_what_the_downloads_show(fortnight, admin_client):
    response = admin_client.get(reverse("moderation:insights") + FORTNIGHT)
    assert response.status_code == 200
    html = response.content.decode()
    tables = Tables(html).sections
    assert list(tables) == CHARTS
    for chart in CHARTS:
        table, footer = download(admin_client, chart)
        shown_tables = tables[chart]
        assert shown_tables[0] == table, chart
        if footer:
            title, *rest = footer
            assert f"<h3>{title[0]}</h3>" in html
            assert shown_tables[1] == rest, chart
        else:
            assert len(shown_tables) == 1, chart
    # A row or two as read on the page, against the hand-worked figures.
    assert tables["daily"][0][3] == ["2026-03-04", "4", "2", "2", "0", "0", "3", "1", "4"]
    assert tables["articles"][0][1] == ["Tram extension", "Asbarez", "3"]
    assert tables["moderators"][0][1][:3] == ["bob", "7", "1.4"]


def test_the_site_filter_narrows_the_page_and_its_downloads(fortnight, admin_client):
    query = f"{FORTNIGHT}&site={fortnight.herald.pk}"
    response = admin_client.get(reverse("moderation:insights") + query)
    assert response.status_code == 200
    # Coast Herald: c20 pending from 26 Feb, c21 in and approved (by bob) on 4 March.
    daily, _ = download(admin_client, "daily", query)
    assert daily[1][1:] == ["0", "0", "0", "0", "0", "1", "0", "1"]
    assert daily[3][1:] == ["1", "1", "0", "0", "0", "1", "0", "1"]
    moderators, _ = download(admin_client, "moderators", query)
    assert [row[:2] for row in moderators[1:]] == [["bob", "1"]]
    articles, _ = download(admin_client, "articles", query)
    assert articles[1:] == []


# Who sees what


def main_text(response) -> str:
    """The page below its header (which names whoever is logged in)."""
    html = response.content.decode()
    return html[html.index('<main id="main">') :]


def names_in(text, names) -> list[str]:
    return [name for name in names if re.search(rf"\b{re.escape(name)}\b", text)]


MODERATORS = ["mona", "bob", "cleo"]
TITLES = ["Budget debate", "Tram extension", "Election night", "Port strike"]
COMMENTERS = ["Vartan", "Lusine", "Aram"]


def sections(response) -> list[str]:
    return list(Tables(response.content.decode()).sections)


def test_an_admin_sees_every_chart_and_every_name(fortnight, admin_client):
    response = admin_client.get(reverse("moderation:insights") + FORTNIGHT)
    assert sections(response) == CHARTS
    assert "Per moderator" in response.content.decode()
    page = main_text(response)
    assert names_in(page, MODERATORS) == MODERATORS
    assert names_in(page, TITLES) == TITLES[:3]  # Port strike has no removal
    assert names_in(page, COMMENTERS) == COMMENTERS
    for chart in CHARTS:
        download(admin_client, chart)


def test_a_moderator_sees_no_per_person_figure(fortnight, moderator_client):
    response = moderator_client.get(reverse("moderation:insights") + FORTNIGHT)
    assert response.status_code == 200
    assert sections(response) == [c for c in CHARTS if c != "moderators"]
    html = response.content.decode()
    assert "Per moderator" not in html
    assert names_in(html, ["bob", "cleo"]) == []
    assert names_in(main_text(response), MODERATORS) == []  # mona's own name: the header only
    # The team's own figures: the articles and commenters drawing removals.
    assert names_in(html, ["Tram extension", "Vartan"]) == ["Tram extension", "Vartan"]
    url = reverse("moderation:insights_csv", args=["moderators"]) + FORTNIGHT
    assert moderator_client.get(url).status_code == 403
    for chart in ("daily", "waits", "categories", "articles", "commenters", "screening"):
        table, footer = download(moderator_client, chart)
        assert names_in(str(table + footer), MODERATORS) == []


def test_a_researcher_sees_only_aggregates(fortnight, researcher_client):
    response = researcher_client.get(reverse("moderation:insights") + FORTNIGHT)
    assert response.status_code == 200
    assert sections(response) == ["daily", "waits", "categories", "screening"]
    html = response.content.decode()
    assert names_in(html, MODERATORS + TITLES + COMMENTERS) == []
    assert "Per moderator" not in html
    # The aggregates themselves are there: the first week's 8 first decisions.
    assert Tables(html).sections["waits"][0][1][-1] == "8"
    for chart in ("articles", "commenters", "moderators"):
        url = reverse("moderation:insights_csv", args=[chart]) + FORTNIGHT
        assert researcher_client.get(url).status_code == 403, chart
    for chart in ("daily", "waits", "categories", "screening"):
        table, footer = download(researcher_client, chart)
        assert names_in(str(table + footer), MODERATORS + TITLES + COMMENTERS) == []


def test_an_outsider_is_refused(outsider_client):
    assert outsider_client.get(reverse("moderation:insights")).status_code == 403
    for chart in ("daily", "moderators"):
        url = reverse("moderation:insights_csv", args=[chart])
        assert outsider_client.get(url).status_code == 403


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    for url in (
        reverse("moderation:insights"),
        reverse("moderation:insights_csv", args=["daily"]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_a_chart_that_does_not_exist_is_not_found(admin_client):
    url = reverse("moderation:insights_csv", args=["everything"])
    assert admin_client.get(url).status_code == 404


# Bad input


def page(client, query):
    response = client.get(reverse("moderation:insights") + query)
    assert response.status_code == 200
    return response.content.decode()


def test_an_end_before_the_start_is_explained(admin_client):
    html = page(admin_client, "?start=2026-05-01&end=2026-04-01")
    assert "“To” (2026-04-01) is before “From” (2026-05-01)." in html


def test_a_download_of_a_refused_range_says_why_instead_of_another_range(admin_client):
    response = admin_client.get("/insights/daily.csv?start=2026-05-01&end=2026-04-01")
    assert response.status_code == 400
    assert "is before" in response.content.decode()
    assert "attachment" not in response.get("Content-Disposition", "")


def test_a_range_over_366_days_is_explained(admin_client):
    # 1 Jan 2025 to 2 Jan 2026: 365 + 2 = 367 days.
    html = page(admin_client, "?start=2025-01-01&end=2026-01-02")
    assert "Choose at most 366 days; this is 367." in html
    # To 1 Jan 2026, 366 days: shown.
    html = page(admin_client, "?start=2025-01-01&end=2026-01-01")
    assert "Choose at most" not in html
    assert "1 Jan 2025 to 1 Jan 2026" in html


def test_a_date_that_is_not_a_date_is_explained(admin_client):
    for query in ("?start=yesterday", "?start=2026-02-30&end=2026-03-10", "?end=2026-13-01"):
        html = page(admin_client, query)
        assert "Enter a valid date." in html, query


def test_an_unknown_site_is_a_form_error(admin_client):
    for query in ("?site=99999", "?site=abc"):
        html = page(admin_client, query)
        assert "Select a valid choice." in html, query


def test_a_title_that_would_start_a_formula_is_not_run_by_a_spreadsheet(
    admin_client, site, moderator
):
    article = factories.make_article(site, title='=HYPERLINK("http://evil")')
    comment = factories.make_comment(article, "Rude.", author="@cmd")
    judgements.decide(
        moderator, comment, Status.REMOVED, expected_version=0,
        reasons=[factories.category(site, "profanity")],
    )  # fmt: skip
    articles = admin_client.get("/insights/articles.csv").content.decode()
    assert "'=HYPERLINK" in articles
    commenters = admin_client.get("/insights/commenters.csv").content.decode()
    assert "'@cmd" in commenters


def test_an_upgraded_database_is_told_to_recount_until_it_does(admin_client, site, moderator):
    """A database that had comments when the insights came (the migration notes it) holds
    only what happened since: the page says so until `recount_insights` has run."""
    from moderation.models import InsightZone

    factories.make_comment(factories.make_article(site), "Before the insights.")
    InsightZone.objects.all().delete()
    InsightZone.objects.create(time_zone="UTC", counted=False)  # as the migration leaves it
    assert "run <code>manage.py recount_insights</code> once" in page(admin_client, "")
    call_command("recount_insights", stdout=io.StringIO())
    assert "recount_insights" not in page(admin_client, "")

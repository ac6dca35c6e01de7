from datetime import UTC, datetime

import time_machine

from moderation.insights import Scope, daily, waits
from moderation.models import ModerationState, Status
from moderation.services import insights as rollups
from moderation.services.judgements import decide, undo
from tests import factories


def test_smoke(moderator, admin_client, article, site):
    with time_machine.travel(datetime(2026, 3, 2, 23, 30, tzinfo=UTC), tick=False):
        c = factories.make_comment(article, "hello")
    with time_machine.travel(datetime(2026, 3, 3, 0, 30, tzinfo=UTC), tick=False):
        d = decide(moderator, c, Status.APPROVED, expected_version=0)
    with time_machine.travel(datetime(2026, 3, 3, 1, 0, tzinfo=UTC), tick=False):
        undo(moderator, d.audit_event)
    with time_machine.travel(datetime(2026, 3, 3, 2, 30, tzinfo=UTC), tick=False):
        decide(moderator, c, Status.REMOVED, expected_version=2, reasons=[site.categories.first()])
    scope = Scope(None, datetime(2026, 3, 1).date(), datetime(2026, 3, 8).date())
    days = daily(scope)
    print(days[:3])
    weekly, per_site = waits(scope)
    print(weekly, per_site)
    assert rollups.recount(fix=False) == []
    r = admin_client.get("/insights/?start=2026-03-01&end=2026-03-08")
    assert r.status_code == 200
    open("/tmp/smoke/page.html", "wb").write(r.content)
    for chart in ["daily", "waits", "categories", "articles", "commenters", "moderators", "screening"]:
        r = admin_client.get(f"/insights/{chart}.csv?start=2026-03-01&end=2026-03-08")
        assert r.status_code == 200, chart
        print(r.content.decode()[:300])
    assert ModerationState.objects.get(comment=c).status == Status.REMOVED

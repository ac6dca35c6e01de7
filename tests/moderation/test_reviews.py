"""Reviews, the designed overlap (blind second reviews), gold items, adjudication and the
per-moderator quality page, through the pages and services a person uses."""

import re

import pytest
from django.urls import reverse

from moderation import services
from moderation.models import (
    AuditEvent,
    CommentReview,
    GoldItem,
    ReviewRoute,
    Sample,
    Status,
)
from moderation.services import reviews
from tests import factories
from tests.moderation.export_helpers import (
    LABELS_JSONL,
    jsonl,
    labels_of,
)

STREAM = reverse("moderation:second_review")


def review_url(comment):
    return reverse("moderation:review", args=[comment.pk])


def stream_link(client, comment) -> str:
    """The Review link of `comment` in the client's Second review stream (it carries the
    token that makes the review a blind one)."""
    stream = client.get(STREAM).content.decode()
    found = re.search(rf'href="({re.escape(review_url(comment))}\?token=[^"]+)"', stream)
    assert found, f"comment {comment.pk} is not in the stream"
    return found.group(1).replace("&amp;", "&")


def review_blind(client, comment, data):
    """Review `comment` as given from the stream: open its link, send the page's form."""
    page = client.get(stream_link(client, comment)).content.decode()
    token = re.search(r'name="token" value="([^"]*)"', page).group(1)
    return client.post(review_url(comment), {**data, "token": token})


def seed_drawing(comment_ids, share):
    """A seed under which exactly the first of `comment_ids` is drawn at `share` percent
    (found by trying seeds, as anyone holding a seed can check a draw)."""
    first, *rest = comment_ids
    for n in range(10_000):
        seed = f"test-seed-{n}"
        if reviews.draw_value(seed, first) < share / 100 and all(
            reviews.draw_value(seed, other) >= share / 100 for other in rest
        ):
            return seed
    raise AssertionError("no seed found")


@pytest.fixture
def attack(site):
    return factories.category(site, "personal-attack")


@pytest.fixture
def profanity(site):
    return factories.category(site, "profanity")


# A review is not a decision


def test_a_moderator_reviews_a_comment_another_approved_and_both_reviews_are_exported(
    comment, moderator, other_moderator, client_for, admin_client, attack, pseudonym_key
):
    services.decide(moderator, comment, Status.APPROVED, expected_version=0)
    response = client_for(other_moderator).post(
        review_url(comment), {"verdict": "breaks", "categories": [attack.pk], "note": "An insult."}
    )
    assert response.status_code == 302
    comment.moderation.refresh_from_db()
    assert comment.moderation.status == Status.APPROVED  # the review decided nothing
    event = AuditEvent.objects.filter(action="review.record").get()
    assert event.actor == other_moderator
    assert event.after["labels"]["personal-attack"] == 1
    rows = jsonl(admin_client.get(LABELS_JSONL))
    first = labels_of(rows, comment, moderator, "personal-attack")
    second = labels_of(rows, comment, other_moderator, "personal-attack")
    assert (first["label"], first["basis"]) == (0, "reviewed")
    assert (second["label"], second["basis"]) == (1, "review")
    assert labels_of(rows, comment, other_moderator, "profanity")["label"] == 0


def test_no_violation_is_a_review_with_every_label_zero(comment, moderator, client_for):
    client = client_for(moderator)
    assert client.post(review_url(comment), {"verdict": "none"}).status_code == 302
    made = CommentReview.objects.get()
    assert list(made.positives.all()) == []
    assert len(made.available) == 3


def test_a_review_form_that_contradicts_itself_is_refused_with_a_reason(
    comment, moderator, client_for, attack
):
    client = client_for(moderator)
    response = client.post(review_url(comment), {"verdict": "none", "categories": [attack.pk]})
    assert response.status_code == 400
    assert "untick them" in response.content.decode()
    response = client.post(review_url(comment), {"verdict": "breaks"})
    assert response.status_code == 400
    assert "Tick the categories" in response.content.decode()
    assert not CommentReview.objects.exists()


def test_a_review_cannot_cite_another_sites_category(comment, moderator):
    elsewhere = factories.make_site("Elsewhere")
    with pytest.raises(services.Invalid, match="not an active category"):
        services.review(moderator, comment, positives=[factories.category(elsewhere, "profanity")])


def test_a_researcher_cannot_review(comment, researcher_client):
    assert researcher_client.post(review_url(comment), {"verdict": "none"}).status_code == 403


# The draw


def test_the_plan_draws_the_share_of_comments_its_seed_says(
    article, site, moderator, admin, admin_client
):
    comments = [factories.make_comment(article, f"Comment {i}") for i in range(40)]
    response = admin_client.post(
        reverse("moderation:review_plans"), {"site": site.pk, "share": 20, "seed": "fixed"}
    )
    assert response.status_code == 302
    for c in comments:
        services.decide(moderator, c, Status.APPROVED, expected_version=0)
    expected = {c.pk for c in comments if reviews.draw_value("fixed", c.pk) < 0.2}
    assert set(Sample.objects.values_list("comment_id", flat=True)) == expected
    assert 0 < len(expected) < 40
    sample = Sample.objects.first()
    assert (sample.share, sample.first_reviewer, sample.state) == (20, moderator, "open")
    event = AuditEvent.objects.get(comment_id=sample.comment_id, action="comment.approved")
    assert event.after["sampled"] is True
    plan_event = AuditEvent.objects.get(action="review.plan")
    assert plan_event.after == {"share": 20, "seed": "fixed"}


def test_the_share_must_be_a_percentage(site, admin_client):
    plans = reverse("moderation:review_plans")
    response = admin_client.post(plans, {"site": site.pk, "share": 150})
    assert response.status_code == 400
    assert not AuditEvent.objects.filter(action="review.plan").exists()


def test_an_escalation_draws_nothing(site, article, admin, moderator):
    services.set_review_plan(admin, site, share=100)
    c = factories.make_comment(article)
    services.decide(moderator, c, Status.ESCALATED, expected_version=0)
    assert not Sample.objects.exists()


def test_a_moderator_cannot_set_the_plan(site, moderator_client):
    response = moderator_client.post(
        reverse("moderation:review_plans"), {"site": site.pk, "share": 50}
    )
    assert response.status_code == 403


# Blind second review


@pytest.fixture
def drawn(site, article, admin, moderator, attack):
    """Comment 1 tagged personal-attack and removed by mona, drawn for a second review."""
    services.set_review_plan(admin, site, share=100, seed="s")
    c = factories.make_comment(article, "You utter clown, go away.", author="Karo")
    services.tag(moderator, c, attack, note="FIRST-REVIEW-NOTE")
    services.decide(
        moderator, c, Status.REMOVED, expected_version=0, reasons=[attack], note="FIRST-DECISION"
    )
    return c


def test_the_second_reviewers_page_shows_no_trace_of_the_first_review(
    drawn, moderator, other_moderator, client_for
):
    client = client_for(other_moderator)
    stream = client.get(STREAM).content.decode()
    assert f'href="{review_url(drawn)}' in stream
    html = client.get(review_url(drawn)).content.decode()
    assert "You utter clown" in html
    # Not the first moderator's name, tag, note, decision or status anywhere in the page.
    for trace in ("mona", "FIRST-REVIEW-NOTE", "FIRST-DECISION", "Removed", "removed", "status"):
        assert trace not in html, trace
    assert "tag" not in re.sub(r"<(script|style)[^>]*>.*?</\1>", "", html, flags=re.S).lower()
    # Nor in the stream.
    for trace in ("mona", "FIRST", "Removed", "removed"):
        assert trace not in stream, trace


def test_the_first_reviewer_does_not_get_their_own_comment_to_review(drawn, moderator_client):
    assert f'href="{review_url(drawn)}' not in moderator_client.get(STREAM).content.decode()


def test_a_second_review_closes_the_sample_and_a_disagreement_waits_for_adjudication(
    drawn, moderator, other_moderator, admin, admin_client, client_for, attack
):
    review_blind(client_for(other_moderator), drawn, {"verdict": "none"})
    sample = Sample.objects.get(comment=drawn)
    assert sample.state == "disagreed"
    assert sample.second_reviewer == other_moderator
    assert sample.first_labels[str(attack.pk)] == 1
    assert sample.second_labels[str(attack.pk)] == 0
    assert CommentReview.objects.get().route == ReviewRoute.SECOND
    waiting = admin_client.get(reverse("moderation:adjudication_list")).content.decode()
    assert reverse("moderation:adjudicate", args=[sample.pk]) in waiting
    page = admin_client.get(reverse("moderation:adjudicate", args=[sample.pk])).content.decode()
    assert "mona" in page
    assert "bob" in page
    response = admin_client.post(
        reverse("moderation:adjudicate", args=[sample.pk]),
        {"categories": [attack.pk], "note": "It is an insult."},
    )
    assert response.status_code == 302
    sample.refresh_from_db()
    assert sample.state == "adjudicated"
    assert sample.adjudication.labels[str(attack.pk)] == 1
    # Both reviews stay as they were.
    assert reviews.labels_of(other_moderator.pk, drawn)[attack.pk] == 0
    assert reviews.labels_of(moderator.pk, drawn)[attack.pk] == 1
    assert admin_client.post(
        reverse("moderation:adjudicate", args=[sample.pk]), {"categories": []}
    ).status_code in (200, 400)
    assert AuditEvent.objects.filter(action="review.adjudicate").count() == 1


def test_agreeing_reviews_need_no_adjudication(drawn, other_moderator, client_for, attack):
    review_blind(
        client_for(other_moderator), drawn, {"verdict": "breaks", "categories": [attack.pk]}
    )
    assert Sample.objects.get(comment=drawn).state == "agreed"


def test_a_moderator_who_judged_the_comment_reviews_it_directly_not_blind(
    drawn, moderator, client_for
):
    client_for(moderator).post(review_url(drawn), {"verdict": "none"})
    assert CommentReview.objects.get().route == ReviewRoute.DIRECT
    assert Sample.objects.get(comment=drawn).state == "open"


# Gold items


def test_gold_items_come_up_unannounced_and_accuracy_is_computed(
    site, article, admin, admin_client, moderator, other_moderator, client_for, attack, profanity
):
    # Eight samples first judged by cy: room for two gold items in a stream (one in five).
    cy = factories.make_moderator("cy")
    services.set_review_plan(admin, site, share=100, seed="g")
    for i in range(8):
        c = factories.make_comment(article, f"Sampled {i}")
        services.decide(cy, c, Status.APPROVED, expected_version=0)
    insult = factories.make_comment(article, "You are a clown.")
    fine = factories.make_comment(article, "Thanks for the article.")
    other = factories.category(site, "other-inappropriate")
    response = admin_client.post(
        reverse("moderation:gold_edit", args=[insult.pk]),
        {"categories": [attack.pk], "note": "A plain insult."},
    )
    assert response.status_code == 302
    services.set_gold(
        admin, fine, labels={attack: 0, profanity: 0, other: 0}, note="Harmless thanks."
    )
    mona, bob = client_for(moderator), client_for(other_moderator)
    stream = mona.get(STREAM).content.decode()
    assert review_url(insult) in stream
    assert review_url(fine) in stream
    assert stream.count('class="button"') == 10
    assert "gold" not in stream.lower()  # unannounced
    assert "gold" not in mona.get(stream_link(mona, insult)).content.decode().lower()
    # mona: insult right (attack 1, others 0: 3 of 3), fine wrong on profanity (2 of 3).
    review_blind(mona, insult, {"verdict": "breaks", "categories": [attack.pk]})
    review_blind(mona, fine, {"verdict": "breaks", "categories": [profanity.pk]})
    # bob: insult missed (attack 0: 2 of 3).
    review_blind(bob, insult, {"verdict": "none"})
    assert set(CommentReview.objects.values_list("route", flat=True)) == {"gold"}
    assert review_url(insult) not in mona.get(STREAM).content.decode()  # met once
    page = admin_client.get(reverse("moderation:review_quality")).content.decode()
    mona_row = _row(page, "mona")
    assert "83 %" in mona_row  # 5 of 6
    assert "n=6 labels, 2 items" in mona_row
    bob_row = _row(page, "bob")
    assert "67 %" in bob_row  # 2 of 3
    assert "n=3 labels, 1 item" in bob_row


def test_gold_items_never_come_alone_nor_to_admins(
    comment, site, article, admin, moderator, moderator_client, client_for
):
    other_admin = factories.make_admin("adele")
    labels = {c: 0 for c in site.categories.all()}
    services.set_gold(admin, comment, labels=labels, note="Fine.")
    assert review_url(comment) not in moderator_client.get(STREAM).content.decode()  # alone
    services.set_review_plan(admin, site, share=100, seed="x")
    for i in range(4):
        services.decide(
            moderator, factories.make_comment(article, f"S{i}"), Status.APPROVED, expected_version=0
        )
    bob = factories.make_moderator("bobby")
    assert review_url(comment) in client_for(bob).get(STREAM).content.decode()
    assert review_url(comment) not in client_for(other_admin).get(STREAM).content.decode()


def test_a_gold_item_that_is_also_a_sample_comes_up_once(
    site, article, admin, moderator, other_moderator, client_for
):
    services.set_review_plan(admin, site, share=100, seed="x")
    made = [factories.make_comment(article, f"S{i}") for i in range(5)]
    for c in made:
        services.decide(moderator, c, Status.APPROVED, expected_version=0)
    services.set_gold(admin, made[0], labels={c: 0 for c in site.categories.all()}, note="Fine.")
    stream = client_for(other_moderator).get(STREAM).content.decode()
    assert stream.count(f'href="{review_url(made[0])}?') == 1


def test_a_gold_item_needs_a_note_and_the_admin_never_meets_their_own(
    comment, admin, admin_client, attack
):
    response = admin_client.post(
        reverse("moderation:gold_edit", args=[comment.pk]), {"categories": [attack.pk]}
    )
    assert response.status_code == 400
    assert not GoldItem.objects.exists()
    admin_client.post(
        reverse("moderation:gold_edit", args=[comment.pk]),
        {"categories": [attack.pk], "note": "Insult."},
    )
    assert review_url(comment) not in admin_client.get(STREAM).content.decode()


def test_a_retired_gold_item_leaves_the_stream(
    comment, site, article, admin, admin_client, moderator_client, other_moderator
):
    services.set_review_plan(admin, site, share=100, seed="r")
    for i in range(4):
        c = factories.make_comment(article, f"S{i}")
        services.decide(other_moderator, c, Status.APPROVED, expected_version=0)
    gold = services.set_gold(
        admin,
        comment,
        labels={c: 0 for c in comment.article.site.categories.all()},
        note="Fine.",
    )
    assert review_url(comment) in moderator_client.get(STREAM).content.decode()
    admin_client.post(reverse("moderation:gold_retire", args=[gold.pk]))
    assert review_url(comment) not in moderator_client.get(STREAM).content.decode()


# Per-moderator quality


def _row(page: str, username: str) -> str:
    (row,) = re.findall(rf'<tr>\s*<th scope="row">{username}</th>.*?</tr>', page, flags=re.S)
    return row


def test_per_moderator_kappa_on_a_built_scenario_equals_the_hand_computed_value(
    site, article, admin, admin_client, client_for, attack
):
    """Six samples on personal-attack, first reviewer ann, second ben:
    (ann, ben) = (1,1) (1,1) (1,0) (0,0) (0,0) (0,1): p_o = 4/6; each says 1 three times in
    six, p_e = .5·.5 + .5·.5 = .5; kappa = (4/6 - .5) / .5 = 1/3; disagreements 2 of 6."""
    ann, ben = factories.make_moderator("ann"), factories.make_moderator("ben")
    services.set_review_plan(admin, site, share=100, seed="k")
    pairs = [(1, 1), (1, 1), (1, 0), (0, 0), (0, 0), (0, 1)]
    for i, (a, b) in enumerate(pairs):
        c = factories.make_comment(article, f"Comment {i}")
        if a:
            services.decide(ann, c, Status.REMOVED, expected_version=0, reasons=[attack])
        else:
            services.decide(ann, c, Status.APPROVED, expected_version=0)
        services.review(ben, c, positives=[attack] if b else [], blind=True)
    page = admin_client.get(reverse("moderation:review_quality")).content.decode()
    for name in ("ann", "ben"):
        row = _row(page, name)
        assert '0.333 <span class="n">n=6</span>' in row  # Personal attack
        assert '33 % <span class="n">n=6</span>' in row  # disagreement rate
    assert Sample.objects.filter(state="disagreed").count() == 2


def test_the_quality_pages_are_for_admins(moderator_client):
    for name in ("review_quality", "adjudication_list", "gold_list", "review_plans"):
        assert moderator_client.get(reverse(f"moderation:{name}")).status_code == 403


# What a review page's link, an undo or the audit log must not do to the measurement


def test_a_review_opened_from_the_thread_is_not_a_blind_second_review(
    drawn, other_moderator, client_for
):
    """The thread shows the first decision beside its Review… link: a review made there
    is a direct one, and the sample waits for a blind one."""
    client = client_for(other_moderator)
    assert client.post(review_url(drawn), {"verdict": "none"}).status_code == 302
    assert CommentReview.objects.get().route == ReviewRoute.DIRECT
    assert Sample.objects.get(comment=drawn).state == "open"
    forged = reviews.stream_token(other_moderator, drawn.pk + 1)  # another comment's token
    client.post(review_url(drawn), {"verdict": "none", "token": forged})
    assert Sample.objects.get(comment=drawn).state == "open"


def test_a_withdrawn_first_judgement_voids_the_sample_instead_of_agreeing(
    site, article, admin, moderator, other_moderator, client_for, admin_client, attack
):
    """An undone removal (back to pending) judges nothing: no labels to compare with."""
    services.set_review_plan(admin, site, share=100, seed="v")
    c = factories.make_comment(article, "Drawn, then undone.")
    services.decide(moderator, c, Status.REMOVED, expected_version=0, reasons=[attack])
    services.decide(moderator, c, Status.PENDING, expected_version=1)
    review_blind(client_for(other_moderator), c, {"verdict": "none"})
    assert Sample.objects.get(comment=c).state == "void"
    page = admin_client.get(reverse("moderation:review_quality")).content.decode()
    assert "No second review" in page  # a void sample counts in no figure


def test_a_sample_waiting_for_its_second_review_is_not_shown_to_adjudicators(drawn, admin_client):
    sample = Sample.objects.get(comment=drawn)
    assert admin_client.get(reverse("moderation:adjudicate", args=[sample.pk])).status_code == 404


def test_moderators_cannot_find_gold_items_in_the_audit_log(
    comment, admin, admin_client, moderator_client
):
    labels = {c: 0 for c in comment.article.site.categories.all()}
    services.set_gold(admin, comment, labels=labels, note="SECRET-GOLD-NOTE")
    audit = moderator_client.get(reverse("moderation:audit")).content.decode()
    assert "SECRET-GOLD-NOTE" not in audit
    assert f"/comments/{comment.pk}/history/" not in audit
    filtered = moderator_client.get(reverse("moderation:audit"), {"action": "review.gold"})
    assert "Gold item set" not in filtered.content.decode().split("</form>")[-1]
    history = reverse("moderation:comment_history", args=[comment.pk])
    assert "Gold item" not in moderator_client.get(history).content.decode()
    commenter = reverse("moderation:commenter", args=[comment.commenter_id])
    assert "Gold item" not in moderator_client.get(commenter).content.decode()
    assert "SECRET-GOLD-NOTE" in admin_client.get(history).content.decode()


def test_odd_site_parameters_are_no_error(admin_client, moderator_client):
    for name in ("review_quality", "adjudication_list"):
        assert admin_client.get(reverse(f"moderation:{name}"), {"site": "²"}).status_code == 200
    assert moderator_client.get(STREAM, {"site": "²"}).status_code == 200
    response = admin_client.post(reverse("moderation:review_plans"), {"site": "x", "share": 5})
    assert response.status_code == 302


# The export's designed overlap


def test_designed_overlap_agreement_uses_the_blind_labels_only_and_the_bundle_recomputes_it(
    site, article, admin, moderator, other_moderator, client_for, researcher_client, attack,
    pseudonym_key, tmp_path,
):  # fmt: skip
    """Drawn c1: mona removes it for a personal attack, bob reviews it blind (none), then cy
    approves it from the queue, having seen mona's removal: cy's labels are no designed
    judgement. Drawn c2: mona approves, bob says attack, blind. Designed units (1, 0) and
    (0, 1): alpha = 1 - 3 * 4 / 8 = -0.5; with cy, (1, 0, 0) and (0, 1): -1/3."""
    import io
    import json
    import subprocess
    import sys
    import zipfile

    from tests.moderation.export_helpers import BUNDLE, content, moderator_pseudonym

    cy = factories.make_moderator("cy")
    services.set_review_plan(admin, site, share=100, seed="d")
    c1 = factories.make_comment(article, "You clown.")
    c2 = factories.make_comment(article, "Fair point.")
    services.decide(moderator, c1, Status.REMOVED, expected_version=0, reasons=[attack])
    services.decide(moderator, c2, Status.APPROVED, expected_version=0)
    bob = client_for(other_moderator)
    review_blind(bob, c1, {"verdict": "none"})
    review_blind(bob, c2, {"verdict": "breaks", "categories": [attack.pk]})
    services.decide(cy, c1, Status.APPROVED, expected_version=1, note="Not an attack.")

    archive = zipfile.ZipFile(io.BytesIO(content(researcher_client.get(BUNDLE))))
    archive.extractall(tmp_path)
    (codebook,) = tmp_path.glob("codebook-*.json")
    agreement = json.loads(codebook.read_text())["agreement"]
    designed = {r["category"]: r["alpha"] for r in agreement["designed"]["alpha"]}
    every = {r["category"]: r["alpha"] for r in agreement["alpha"]}
    assert designed["personal-attack"]["items"] == 2
    assert designed["personal-attack"]["value"] == pytest.approx(-0.5)
    assert every["personal-attack"]["items"] == 2
    assert every["personal-attack"]["value"] == pytest.approx(-1 / 3)
    (labels,) = tmp_path.glob("labels-*.jsonl")
    rows = [json.loads(line) for line in labels.read_text().splitlines()]
    flags = {
        (r["comment_id"], r["moderator"]): r["designed_label"]
        for r in rows
        if r["category"] == "personal-attack"
    }
    assert flags[c1.pk, moderator_pseudonym(moderator)] == 1
    assert flags[c1.pk, moderator_pseudonym(other_moderator)] == 0
    assert flags[c1.pk, moderator_pseudonym(cy)] is None
    (comments,) = tmp_path.glob("comments-*.jsonl")
    samples = {
        json.loads(line)["comment_id"]: json.loads(line)["sample"]
        for line in comments.read_text().splitlines()
    }
    assert samples == {c1.pk: "share", c2.pk: "share"}
    # The bundle's own script gives the codebook's designed figures again.
    result = subprocess.run(
        [sys.executable, "-I", str(tmp_path / "agreement.py"), "--json", str(tmp_path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    printed = {r["category"]: r["alpha_designed"] for r in json.loads(result.stdout)["alpha"]}
    assert printed["personal-attack"] == designed["personal-attack"]


def test_designed_labels_are_those_compared_whatever_comes_later(
    site, article, admin, moderator, other_moderator, client_for, researcher_client, attack,
    pseudonym_key,
):  # fmt: skip
    """mona approves, bob says attack blind: they disagree. mona then tags an attack: her
    label becomes 1, her designed label stays the 0 that was compared."""
    from tests.moderation.export_helpers import (
        LABELS_JSONL,
        jsonl,
        labels_of,
    )

    services.set_review_plan(admin, site, share=100, seed="late")
    c = factories.make_comment(article, "Compared, then changed.")
    services.decide(moderator, c, Status.APPROVED, expected_version=0)
    review_blind(client_for(other_moderator), c, {"verdict": "breaks", "categories": [attack.pk]})
    services.tag(moderator, c, attack)
    rows = jsonl(researcher_client.get(LABELS_JSONL))
    mona = labels_of(rows, c, moderator, "personal-attack")
    assert (mona["label"], mona["designed_label"]) == (1, 0)


def test_a_void_sample_has_no_designed_labels(
    site, article, admin, moderator, other_moderator, client_for, researcher_client, attack,
    pseudonym_key,
):  # fmt: skip
    from tests.moderation.export_helpers import CODEBOOK

    services.set_review_plan(admin, site, share=100, seed="void")
    c = factories.make_comment(article, "Drawn, undone, judged again.")
    services.decide(moderator, c, Status.REMOVED, expected_version=0, reasons=[attack])
    services.decide(moderator, c, Status.PENDING, expected_version=1)
    review_blind(client_for(other_moderator), c, {"verdict": "none"})
    services.decide(moderator, c, Status.APPROVED, expected_version=2)
    import json

    codebook = json.loads(researcher_client.get(CODEBOOK).content)
    assert codebook["sampling"]["reviewed_in_overlap"] == {}
    designed = {r["category"]: r["alpha"] for r in codebook["agreement"]["designed"]["alpha"]}
    assert designed["personal-attack"]["items"] == 0


def test_a_comment_is_drawn_only_at_its_first_judgement(
    site, article, admin, moderator, other_moderator, attack
):
    """Judged before the share was set: whoever judges it next has seen that, and it is not
    drawn then."""
    c = factories.make_comment(article, "Judged before the plan.")
    services.decide(moderator, c, Status.REMOVED, expected_version=0, reasons=[attack])
    services.set_review_plan(admin, site, share=100, seed="late")
    services.review(other_moderator, c, positives=[])
    services.decide(other_moderator, c, Status.APPROVED, expected_version=1, note="Fine.")
    assert not Sample.objects.exists()
    fresh = factories.make_comment(article, "Judged after.")
    services.decide(moderator, fresh, Status.APPROVED, expected_version=0)
    assert Sample.objects.get().comment == fresh

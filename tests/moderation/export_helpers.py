"""What the export tests share: a small set whose labels are known, the export's URLs, and
readers for what the downloads stream.

The set (`build_tagged_set`, the `tagged` fixture of tests/moderation/conftest.py), on one
article of Asbarez, reviewed by zelda and yorick:

  c1 "You are an idiot, you b*****d."  zelda: personal-attack, profanity on "b*****d";
                                         yorick: personal-attack, then removes it for that
  c2 "I disagree with the budget."       zelda approves it without tags: a reviewed negative
  c3 (reply to c1) "Shut up, moron."     zelda tags personal-attack and retracts; yorick tags it
  c4 "Nice article, thanks." (anonymous) nobody reviews it
  c5 "Buy cheap watches at example.com"  zelda removes it for other-inappropriate, no tag
"""

import csv
import io
import json
from types import SimpleNamespace

from django.urls import reverse

from moderation import export, services
from moderation.models import Status
from tests import factories
from tests.conftest import PSEUDONYM_KEY

KEY = PSEUDONYM_KEY  # what the `pseudonym_key` fixture puts in the environment
OTHER_KEY = "another-export-key-fedcba9876543210-fedcba9876543210"
PEOPLE = ["Vartan Hagopian", "Ani Tashjian", "Watch Seller", "zelda_mod", "yorick_mod"]
CATEGORIES = ["profanity", "personal-attack", "other-inappropriate"]
# How the comments table's per-category columns name them (fraction_personal_attack).
CATEGORY_COLUMNS = ["profanity", "personal_attack", "other_inappropriate"]

COMMENTS_JSONL = reverse("moderation:export_comments", args=["jsonl"])
COMMENTS_CSV = reverse("moderation:export_comments", args=["csv"])
LABELS_JSONL = reverse("moderation:export_labels", args=["jsonl"])
LABELS_CSV = reverse("moderation:export_labels", args=["csv"])
CODEBOOK = reverse("moderation:export_codebook")
BUNDLE = reverse("moderation:export_bundle")
PAGE = reverse("moderation:export")


def build_tagged_set():
    """The known set of the module docstring; returns its site, people and comments."""
    site = factories.make_site("Asbarez", policy_text="No profanity, no personal attacks.")
    article = factories.make_article(
        site, title="Budget debate", source_url="https://asbarez.com/budget-debate/"
    )
    zelda, yorick = factories.make_moderator("zelda_mod"), factories.make_moderator("yorick_mod")
    attack = factories.category(site, "personal-attack")
    profanity = factories.category(site, "profanity")
    other = factories.category(site, "other-inappropriate")

    c1 = factories.make_comment(article, "You are an idiot, you b*****d.", author=PEOPLE[0])
    c2 = factories.make_comment(article, "I disagree with the budget.", author=PEOPLE[1])
    c3 = factories.make_comment(article, "Shut up, moron.", parent=c1, author=PEOPLE[0])
    c4 = factories.make_comment(article, "Nice article, thanks.")
    c5 = factories.make_comment(article, "Buy cheap watches at example.com", author=PEOPLE[2])

    start = c1.body_text.index("b*****d")
    services.tag(zelda, c1, attack)
    services.tag(zelda, c1, profanity, span=(start, start + 7))
    services.tag(yorick, c1, attack)
    services.decide(yorick, c1, Status.REMOVED, expected_version=0, reasons=[attack])
    services.decide(zelda, c2, Status.APPROVED, expected_version=0)
    services.retract(zelda, services.tag(zelda, c3, attack))
    services.tag(yorick, c3, attack)
    services.decide(zelda, c5, Status.REMOVED, expected_version=0, reasons=[other])
    return SimpleNamespace(
        site=site,
        article=article,
        zelda=zelda,
        yorick=yorick,
        comments=[c1, c2, c3, c4, c5],
        span=(start, start + 7),
    )


def content(response) -> bytes:
    return b"".join(response.streaming_content)


def jsonl(response) -> list[dict]:
    return [json.loads(line) for line in content(response).decode().splitlines()]


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content(response).decode())))


def by_id(rows):
    return {row["comment_id"]: row for row in rows}


def moderator_pseudonym(user, key=KEY):
    return export.Pseudonyms(export.PseudonymKey(key.encode())).moderator(user.pk)


def point(figure: dict) -> dict:
    """An agreement figure's value, items and reason, without its interval."""
    return {key: figure[key] for key in ("value", "items", "reason")}


def labels_of(rows, comment, user, category):
    """The one label row of `user` for (`comment`, `category`)."""
    (row,) = [
        r
        for r in rows
        if r["comment_id"] == comment.pk
        and r["moderator"] == moderator_pseudonym(user)
        and r["category"] == category
    ]
    return row

"""Every URL pattern by every kind of visitor → what they may do, generated from the URLconf.

A new URL without a rule in RULES fails `test_every_url_pattern_has_a_rule`, so no view can
be added without deciding who may use it.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from moderation import services
from moderation.models import ImportJob, Sample, Status
from tests import factories

ANONYMOUS, NOBODY, RESEARCHER, MODERATOR, ADMIN = (
    "anonymous", "nobody", "researcher", "moderator", "admin"
)  # fmt: skip
VISITORS = [ANONYMOUS, NOBODY, RESEARCHER, MODERATOR, ADMIN]

PUBLIC = set(VISITORS)
LOGGED_IN = {NOBODY, RESEARCHER, MODERATOR, ADMIN}
READERS = {RESEARCHER, MODERATOR, ADMIN}
MODERATORS = {MODERATOR, ADMIN}
ADMINS = {ADMIN}
EXPORTERS = {RESEARCHER, ADMIN}
STAFF = set()  # Django's admin: staff accounts only, which no role grants

RULES = {
    "home": LOGGED_IN,
    "archive:article_list": READERS,
    "moderation:article_list": READERS,
    "moderation:thread": READERS,
    "moderation:public": READERS,
    "moderation:queue": MODERATORS,
    "moderation:bulk": MODERATORS,
    "moderation:undo": MODERATORS,
    "moderation:decide": MODERATORS,
    "moderation:tag": MODERATORS,
    "moderation:retract": MODERATORS,
    "moderation:commenter": MODERATORS,
    "moderation:block": MODERATORS,
    "moderation:note": MODERATORS,
    "moderation:unblock": MODERATORS,
    "moderation:approve_pending": MODERATORS,
    "moderation:comment_history": MODERATORS,
    "moderation:context": MODERATORS,
    "moderation:audit": MODERATORS,
    "moderation:users": ADMINS,
    "moderation:user_create": ADMINS,
    "moderation:user": ADMINS,
    "moderation:user_roles": ADMINS,
    "moderation:user_active": ADMINS,
    "moderation:user_password_link": ADMINS,
    "moderation:user_unlock": ADMINS,
    "moderation:export": EXPORTERS,
    "moderation:export_comments": EXPORTERS,
    "moderation:export_labels": EXPORTERS,
    "moderation:export_codebook": EXPORTERS,
    "moderation:export_bundle": EXPORTERS,
    "moderation:imports": ADMINS,
    "moderation:import": ADMINS,
    "moderation:import_status": ADMINS,
    "moderation:import_retry": ADMINS,
    "moderation:import_give_up": ADMINS,
    "moderation:policy": READERS,
    "moderation:policy_edit": ADMINS,
    "moderation:category_add": ADMINS,
    "moderation:category_edit": ADMINS,
    "moderation:words": ADMINS,
    "moderation:screening": ADMINS,
    "moderation:second_review": MODERATORS,
    "moderation:review": MODERATORS,
    "moderation:review_plans": ADMINS,
    "moderation:gold_list": ADMINS,
    "moderation:gold_edit": ADMINS,
    "moderation:gold_retire": ADMINS,
    "moderation:adjudication_list": ADMINS,
    "moderation:adjudicate": ADMINS,
    "moderation:review_quality": ADMINS,
    # Insights: the page and each chart's CSV (which charts each role sees is tested in
    # tests/moderation/test_insights.py; the matrix reads the daily one, open to all three).
    "moderation:insights": READERS,
    "moderation:insights_csv": READERS,
    "login": PUBLIC,
    "logout": LOGGED_IN,
    "password_change": LOGGED_IN,
    "password_change_done": LOGGED_IN,
    "password_reset": PUBLIC,
    "password_reset_done": PUBLIC,
    "password_reset_confirm": PUBLIC,
    "password_reset_complete": PUBLIC,
}


def url_patterns(patterns=None, namespace="", route=""):
    """(qualified name or "", URLPattern, full route) for every pattern in the URLconf."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from url_patterns(entry.url_patterns, inner, route + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            name = entry.name and (f"{namespace}:{entry.name}" if namespace else entry.name)
            yield name or "", entry, route + str(entry.pattern)


def is_django_admin(route):
    return route.startswith("admin/")


def rule_for(name, route):
    return STAFF if is_django_admin(route) else RULES[name]


OURS = sorted({name for name, _, route in url_patterns() if not is_django_admin(route)})


def test_every_url_pattern_has_a_rule():
    unnamed = [
        route for name, _, route in url_patterns() if not name and not is_django_admin(route)
    ]
    missing = [name for name in OURS if name not in RULES]
    stale = [name for name in RULES if name not in OURS]
    assert unnamed == []
    assert missing == [], "add these to RULES: who may use them?"
    assert stale == []


@pytest.fixture
def world(site, article, comment, other_moderator):
    """One of everything a URL can point at, made by another moderator than the visitor."""
    attack = factories.category(site, "personal-attack")
    tag = services.tag(other_moderator, comment, attack)
    block = services.block(other_moderator, comment.commenter, reason="Attacks")
    services.decide(other_moderator, comment, Status.ESCALATED, expected_version=0)
    target = factories.make_member("target", "Moderator")
    job = ImportJob.objects.create(
        uploaded_by=target, kind="wxr", file_name="export.xml", size=1, sha256="0" * 64
    )
    curator = factories.make_member("curator", "Admin")
    labels = {c: int(c == attack) for c in site.categories.all()}
    gold = services.set_gold(curator, comment, labels=labels, note="An insult.")
    sample = Sample.objects.create(
        comment=comment,
        site=site,
        share=100,
        seed="s",
        first_reviewer=other_moderator,
        state=Sample.State.DISAGREED,  # an open one is not shown to adjudicators at all
        first_labels={str(attack.pk): 1},
        second_labels={str(attack.pk): 0},
    )
    return {
        "pk": {
            "moderation:decide": comment.pk,
            "moderation:tag": comment.pk,
            "moderation:comment_history": comment.pk,
            "moderation:context": comment.pk,
            "moderation:retract": tag.pk,
            "moderation:thread": article.pk,
            "moderation:public": article.pk,
            "moderation:commenter": comment.commenter_id,
            "moderation:block": comment.commenter_id,
            "moderation:note": comment.commenter_id,
            "moderation:unblock": block.pk,
            "moderation:approve_pending": comment.commenter_id,
            "moderation:user": target.pk,
            "moderation:user_roles": target.pk,
            "moderation:user_active": target.pk,
            "moderation:user_password_link": target.pk,
            "moderation:user_unlock": target.pk,
            "moderation:category_edit": attack.pk,
            "moderation:import": job.pk,
            "moderation:import_status": job.pk,
            "moderation:import_retry": job.pk,
            "moderation:import_give_up": job.pk,
            "moderation:review": comment.pk,
            "moderation:gold_retire": gold.pk,
            "moderation:adjudicate": sample.pk,
        },
        "comment_pk": comment.pk,
        "site_id": site.pk,
    }


def url_of(name, pattern, route, world):
    if not name:  # Django admin's unnamed redirects and its catch-all
        filled = re.sub(r"<(?:\w+:)?\w+>", "1", route)
        return "/" + re.sub(r"\(\?P<\w+>\.\*\)", "anything/", filled).replace("^", "").replace(
            "$", ""
        )
    kwargs = {}
    keys = pattern.pattern.converters or pattern.pattern.regex.groupindex
    for key in keys:
        if key == "pk":
            kwargs["pk"] = world["pk"][name]
        elif key == "site_id":
            kwargs["site_id"] = world["site_id"]
        elif key == "comment_pk":
            kwargs["comment_pk"] = world["comment_pk"]
        elif key in ("uidb64", "token"):
            kwargs[key] = "x"
        elif key == "fmt":
            kwargs[key] = "csv"
        elif key == "chart":
            kwargs[key] = "daily"
        elif key == "app_label":
            kwargs[key] = "auth"
        else:  # Django admin's object ids, app labels…: any value reaches the login check
            kwargs[key] = "1"
    return reverse(name, kwargs=kwargs)


# Each visitor's client fixture (tests/conftest.py): `client` is pytest-django's anonymous one.
CLIENTS = {
    ANONYMOUS: "client",
    NOBODY: "outsider_client",
    RESEARCHER: "researcher_client",
    MODERATOR: "moderator_client",
    ADMIN: "admin_client",
}


ALL = list(url_patterns())


@pytest.mark.usefixtures("pseudonym_key")
@pytest.mark.parametrize("visitor", VISITORS)
@pytest.mark.parametrize(("name", "pattern", "route"), ALL, ids=[n or r for n, _, r in ALL])
def test_permission_matrix(request, world, visitor, name, pattern, route):
    url = url_of(name, pattern, route, world)
    client = request.getfixturevalue(CLIENTS[visitor])
    allowed = visitor in rule_for(name, route)
    get, post = client.get(url), client.post(url, {})
    for response in (get, post):
        assert response.status_code < 500, (url, response.status_code)
    if name in ("admin:login", "admin:logout"):
        return  # the admin's own way in and out: open to all, and nothing behind them
    if is_django_admin(route):
        # Django's admin sends everyone without a staff account to a login page.
        assert get.status_code == 302, (url, get.status_code)
        assert get["Location"].startswith(("/admin/login/", reverse("login"))), get
        return
    to_login = [
        r.status_code == 302 and r["Location"].startswith(reverse("login")) for r in (get, post)
    ]
    if allowed:
        assert not any(to_login) or name == "logout", (url, get, post)
        assert get.status_code in (200, 302, 405), (url, get.status_code)
        assert post.status_code != 403 or name == "login", (url, post.status_code)
    elif visitor == ANONYMOUS:
        assert get.status_code == 302, (url, get.status_code)
        assert to_login[0], (url, get)
    else:
        assert get.status_code in (403, 405), (url, get.status_code)
        assert post.status_code == 403 or (post.status_code == 405 and get.status_code == 403), (
            url,
            post.status_code,
        )

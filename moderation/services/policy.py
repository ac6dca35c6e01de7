"""A site's discussion policy: its versions and its categories.

Every change of the text or the categories makes a new policy version (numbered per site,
under a lock on the site row), so a tag can always be read against the definitions in force
when it was made.
"""

from django.db import transaction
from django.db.models import Max
from django.utils.text import slugify

from archive.models import Site
from moderation import permissions
from moderation.actions import Action
from moderation.export.columns import category_column
from moderation.models import Category, Policy, WordList
from moderation.screening import scoring
from moderation.screening.words import KINDS, check_term
from moderation.services._common import append, clean_note, require, when, who
from moderation.services.errors import Conflict, Invalid
from moderation.services.locks import lock, retried
from moderation.tasks import rescore_site

# The posted policy forbids "profanity, personal attacks or other inappropriate material":
# one category for each, in that order (their keyboard digits are 1, 2, 3).
DEFAULT_CATEGORIES = [
    (
        "profanity",
        "Profanity",
        "Obscene or vulgar language: swear words and crude insults, spelled out or thinly "
        "disguised (b*****d).",
    ),
    (
        "personal-attack",
        "Personal attack",
        "Insults, name-calling or contempt aimed at a person (another commenter, the author, "
        "someone in the news) rather than at what they said or did.",
    ),
    (
        "other-inappropriate",
        "Other inappropriate material",
        "Anything else the policy does not permit: threats, harassment, hateful generalisations "
        "about a group, spam or advertising, someone's private information.",
    ),
]


# Policy and categories


def current_policy(site: Site) -> Policy | None:
    return site.policies.order_by("-version").first()


def _snapshot_categories(site: Site) -> list[dict]:
    return [c.snapshot() for c in Category.objects.filter(site=site).order_by("order", "pk")]


def _new_policy_version(site, *, text, user, note) -> Policy:
    latest = site.policies.aggregate(v=Max("version"))["v"] or 0
    return Policy.objects.create(
        site=site,
        version=latest + 1,
        text=text,
        categories=_snapshot_categories(site),
        created_by=user,
        note=note,
    )


@retried
def sync_posted_policy(site: Site) -> Policy | None:
    """Give a site its first policy version (its posted text and the default categories),
    or record its posted text if the current version has none. Called when a site is saved,
    by whatever path (import, fixtures, admin); an admin's edits are never overwritten."""
    with transaction.atomic():
        lock(Site.objects.filter(pk=site.pk)).first()
        policy = current_policy(site)
        if policy is None:
            for order, (slug, name, definition) in enumerate(DEFAULT_CATEGORIES, 1):
                Category.objects.get_or_create(
                    site=site,
                    slug=slug,
                    defaults={"name": name, "definition": definition, "order": order},
                )
            policy = _new_policy_version(
                site, text=site.policy_text, user=None, note="Posted policy and default categories"
            )
            append(
                actor=None,
                action=Action.POLICY_CREATE,
                target=policy,
                after={
                    "version": policy.version,
                    "text": policy.text,
                    "categories": [c["slug"] for c in policy.categories],
                },
                site=site,
            )
            return policy
        if site.policy_text and not policy.text:
            new = _new_policy_version(
                site, text=site.policy_text, user=None, note="Posted policy text imported"
            )
            append(
                actor=None,
                action=Action.POLICY_EDIT,
                target=new,
                before={"version": policy.version, "text": policy.text},
                after={"version": new.version, "text": new.text},
                note=new.note,
                site=site,
            )
            return new
        return policy


@retried
def edit_policy(user, site: Site, *, text: str, expected_version: int, note="", context=None):
    require(user, permissions.EDIT_POLICY)
    text = (text or "").strip()
    if not text:
        raise Invalid("The policy text cannot be empty.")
    with transaction.atomic():
        lock(Site.objects.filter(pk=site.pk)).first()
        current = current_policy(site)
        if current and current.version != expected_version:
            raise Conflict(
                f"The policy changed while you were editing: it is now version {current.version} "
                f"(by {who(current.created_by)}, {when(current.created_at)}). "
                "Nothing was saved."
            )
        if current and current.text == text:
            raise Invalid("The text is the same as the current version.")
        new = _new_policy_version(site, text=text, user=user, note=clean_note(note))
        append(
            actor=user,
            action=Action.POLICY_EDIT,
            target=new,
            before={"version": current.version, "text": current.text} if current else None,
            after={"version": new.version, "text": new.text},
            note=new.note,
            context=context,
            site=site,
        )
        return new


@retried
def add_category(user, site: Site, *, name: str, definition: str, context=None) -> Category:
    require(user, permissions.EDIT_POLICY)
    name, definition = (name or "").strip(), (definition or "").strip()
    if not name or not definition:
        raise Invalid("A category needs a name and a definition moderators can apply.")
    slug = slugify(name)[:50]
    if not slug:
        raise Invalid("The name needs at least one letter or digit.")
    with transaction.atomic():
        lock(Site.objects.filter(pk=site.pk)).first()
        if Category.objects.filter(site=site, slug=slug).exists():
            raise Conflict(f"{site} already has a category {name!r}.")
        # The export names a category's columns by its slug with _ for - (fraction_a_b):
        # two slugs of one site that differ only there would share them.
        for other in Category.objects.filter(site=site).values_list("slug", flat=True):
            if category_column(other) == category_column(slug):
                raise Conflict(
                    f"{site} already has a category {other!r}, which differs from "
                    f"{slug!r} only in - and _: research exports could not tell them apart."
                )
        order = (Category.objects.filter(site=site).aggregate(o=Max("order"))["o"] or 0) + 1
        category = Category.objects.create(
            site=site, slug=slug, name=name, definition=definition, order=order
        )
        policy = _new_policy_version(
            site, text=_current_text(site), user=user, note=f"Added category {name}"
        )
        append(
            actor=user,
            action=Action.CATEGORY_ADD,
            target=category,
            after={**category.snapshot(), "policy_version": policy.version},
            context=context,
            site=site,
        )
        return category


@retried
def edit_category(
    user, category: Category, *, name: str, definition: str, active: bool, context=None
) -> Category:
    require(user, permissions.EDIT_POLICY)
    name, definition = (name or "").strip(), (definition or "").strip()
    if not name or not definition:
        raise Invalid("A category needs a name and a definition moderators can apply.")
    with transaction.atomic():
        # The site first, as every policy change does: versions are numbered per site.
        lock(Site.objects.filter(pk=category.site_id)).first()
        category = lock(Category.objects.filter(pk=category.pk)).get()
        before = category.snapshot()
        category.name, category.definition, category.active = name, definition, active
        if category.snapshot() == before:
            raise Invalid("Nothing changed.")
        category.save(update_fields=["name", "definition", "active"])
        policy = _new_policy_version(
            category.site,
            text=_current_text(category.site),
            user=user,
            note=f"Edited category {name}",
        )
        append(
            actor=user,
            action=Action.CATEGORY_EDIT,
            target=category,
            before=before,
            after={**category.snapshot(), "policy_version": policy.version},
            context=context,
            site=category.site,
        )
        return category


def _current_text(site):
    current = current_policy(site)
    return current.text if current else site.policy_text


# Screening word lists


def edit_word_lists(user, site, *, terms, note: str = "", context=None):
    """Put a new version of a site's word lists in force: `terms`, an iterable of (category
    slug, kind, term) with kind "banned" or "suspect". Each term is checked and kept folded
    (moderation.screening.words.check_term); the audit event says which terms came and went.
    The site's comments are then screened again by a background task (after the commit)."""
    require(user, permissions.EDIT_POLICY)
    slugs = set(Category.objects.filter(site=site).values_list("slug", flat=True))
    cleaned = []
    for slug, kind, text in terms:
        if slug not in slugs:
            raise Invalid(f"{site} has no category {slug!r}.")
        if kind not in KINDS:
            raise Invalid(f"{kind!r} is not a kind of term; use banned or suspect.")
        try:
            term = check_term(text)
        except ValueError as error:
            raise Invalid(str(error)) from None
        if [slug, kind, term] not in cleaned:
            cleaned.append([slug, kind, term])
    cleaned.sort()
    with transaction.atomic():
        # The site first, as every policy change does: versions are numbered per site.
        lock(Site.objects.filter(pk=site.pk)).first()
        version, current = scoring.current_list(site.pk)
        if sorted(map(list, current)) == cleaned:
            raise Invalid("Nothing changed.")
        new = WordList.objects.create(
            site=site, version=version + 1, terms=cleaned, created_by=user, note=note.strip()
        )
        was = {" ".join(t) for t in map(tuple, current)}
        now = {" ".join(t) for t in map(tuple, cleaned)}
        append(
            actor=user,
            action=Action.WORDS_EDIT,
            target=new,
            before={"version": version},
            after={
                "version": new.version,
                "added": sorted(now - was),
                "removed": sorted(was - now),
            },
            note=note.strip(),
            context=context,
            site=site,
        )
        transaction.on_commit(lambda: rescore_site.enqueue(site.pk))
        return new

"""Guard rails for where things live: one home for each fact (audit actions, roles, the note
limit), view modules that hold views only, migrations that keep frozen copies of what they
install, and an audit registry with no gaps."""

import ast
import importlib
import re

import pytest

from moderation import actions, audit, permissions
from moderation.actions import Action
from moderation.models import NOTE_MAX_LENGTH
from tests.conftest import ROOT

# The code a grep for a fact covers: everything but migrations and tests.
SOURCES = [
    path
    for folder in ("archive", "moderation", "templates", "static")
    for path in sorted((ROOT / folder).rglob("*"))
    if path.suffix in (".py", ".html", ".js", ".txt") and "migrations" not in path.parts
]
VIEWS = sorted((ROOT / "moderation" / "views").glob("*.py"))


def places(pattern: str) -> list[str]:
    """Where `pattern` (a regular expression) occurs in the sources, as path:line."""
    found = []
    for path in SOURCES:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(pattern, line):
                found.append(f"{path.relative_to(ROOT)}:{number}")
    return found


# One home for each fact


@pytest.mark.parametrize("action", Action.values)
def test_each_audit_action_string_is_written_in_one_place(action):
    # (A URL may be *named* "export", and the menu compares with that name: not an action.)
    quoted = rf"(?<!name=)(?<!here == )[\"']{re.escape(action)}[\"']"
    assert places(quoted) == ["moderation/actions.py:" + _line(action)]


def _line(action):
    text = (ROOT / "moderation" / "actions.py").read_text(encoding="utf-8").splitlines()
    return str(next(i for i, line in enumerate(text, 1) if f'"{action}"' in line))


@pytest.mark.parametrize("role", permissions.ROLES)
def test_each_role_name_is_written_in_one_place(role):
    # (The moderator filter is *labelled* "Moderator": a word on a page, not the role.)
    quoted = rf"(?<!label=)(?<!: )[\"']{role}[\"']"
    text = (ROOT / "moderation" / "permissions.py").read_text(encoding="utf-8").splitlines()
    line = next(i for i, row in enumerate(text, 1) if row.startswith("ADMIN, MODERATOR"))
    assert places(quoted) == [f"moderation/permissions.py:{line}"]


def test_the_note_limit_is_written_in_one_place():
    assert places(rf"\b{NOTE_MAX_LENGTH}\b") == ["moderation/models.py:20"]


# The audit registry


def _members_written_with_a_label() -> dict[str, bool]:
    tree = ast.parse((ROOT / "moderation" / "actions.py").read_text(encoding="utf-8"))
    (registry,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Action"]
    return {
        node.targets[0].id: isinstance(node.value, ast.Tuple) and len(node.value.elts) == 2
        for node in registry.body
        if isinstance(node, ast.Assign)
    }


@pytest.mark.parametrize("action", list(Action))
def test_every_audit_action_has_a_label_and_a_describer(action):
    # A member written without its label would get one made up from its name.
    assert _members_written_with_a_label()[action.name]
    assert action.label
    assert action in actions.DESCRIBERS


def test_undoable_actions_are_in_the_registry():
    assert set(Action) >= actions.UNDOABLE
    assert Action.TAG_ADD in actions.UNDOABLE


@pytest.mark.django_db
def test_the_audit_log_refuses_an_action_outside_the_registry():
    from django.db import transaction

    from moderation.models import AuditEvent

    refused = pytest.raises(ValueError, match=r"'tag\.ad' is not an audit action")
    with refused, transaction.atomic():
        audit.append(actor=None, action="tag.ad", target=None)
    assert not AuditEvent.objects.exists()


# Migrations keep frozen copies


def test_the_roles_migrations_are_a_frozen_copy_of_the_roles():
    migration = importlib.import_module("moderation.migrations.0003_roles")
    added = importlib.import_module("moderation.migrations.0012_imports").ADDED
    live = {
        role: [c.removeprefix("moderation.") for c in capabilities]
        for role, capabilities in permissions.ROLE_CAPABILITIES.items()
    }
    frozen = {
        role: codenames + added.get(role, [])
        for role, codenames in migration.ROLE_CAPABILITIES.items()
    }
    assert live == frozen
    assert [p.removeprefix("archive.") for p in permissions.ARCHIVE_READ] == migration.ARCHIVE_READ


def test_the_audit_guard_migrations_are_a_frozen_copy_of_the_guard():
    first = importlib.import_module("moderation.migrations.0002_audit_append_only")
    then = importlib.import_module("moderation.migrations.0008_audit_checkpoints")
    for vendor in ("sqlite", "postgresql"):
        assert first.GUARD[vendor] + then.GUARD[vendor] == audit.GUARD[vendor]
        assert first.UNGUARD[vendor] + then.UNGUARD[vendor] == audit.UNGUARD[vendor]


def test_migrations_import_no_app_code():
    for path in sorted(ROOT.glob("*/migrations/0*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = [
            node.module if isinstance(node, ast.ImportFrom) else alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        ]
        ours = [m for m in imported if m and m.split(".")[0] in ("archive", "moderation")]
        assert ours == [], path.name


# Views


def _imports(path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found += [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names]
    return found


@pytest.mark.parametrize("path", VIEWS, ids=lambda p: p.name)
def test_no_view_module_imports_another(path):
    others = {f"moderation.views.{p.stem}" for p in VIEWS if p != path}
    assert [m for m in _imports(path) if m in others] == []


def test_the_archive_imports_nothing_from_moderation():
    for path in sorted((ROOT / "archive").rglob("*.py")):
        assert [m for m in _imports(path) if m.split(".")[0] == "moderation"] == [], path


def test_the_queue_module_holds_views_only():
    tree = ast.parse((ROOT / "moderation" / "views" / "queue.py").read_text(encoding="utf-8"))
    classes = [node.name for node in tree.body if isinstance(node, ast.ClassDef)]
    functions = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    unguarded = [
        node.name
        for node in functions
        if not node.name.startswith("_")
        and not any(ast.unparse(d).startswith("permissions.require(") for d in node.decorator_list)
    ]
    helpers = [node.name for node in functions if node.name.startswith("_")]
    assert classes == []
    assert unguarded == []
    assert helpers == ["_comment"]  # the access helper: get the comment or 404


@pytest.mark.parametrize("path", VIEWS, ids=lambda p: p.name)
def test_views_put_the_permission_check_outermost(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.decorator_list:
            decorators = [ast.unparse(d) for d in node.decorator_list]
            checks = [i for i, d in enumerate(decorators) if d.startswith("permissions.require(")]
            assert checks in ([], [0]), (node.name, decorators)

"""Fixtures for the moderation tests: the export's known set."""

import pytest

from tests.moderation.export_helpers import build_tagged_set


@pytest.fixture
def tagged(db):
    """Five comments on Asbarez, reviewed by zelda_mod and yorick_mod: see export_helpers."""
    return build_tagged_set()

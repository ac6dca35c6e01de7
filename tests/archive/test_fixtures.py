"""The committed seed fixtures: they load into an empty database and match the captures."""

import shutil
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from archive.models import Article, Comment, Site
from tests.conftest import PAGES, ROOT

pytestmark = pytest.mark.django_db


def test_seed_fixtures_load_into_an_empty_database(seeds):
    assert Article.objects.count() == 5
    assert Comment.objects.count() == 21
    reply = Comment.objects.get(article__source_key="001_c063493f46c78712", position="2.1")
    assert reply.parent.commenter.name == "Vartan"
    assert Site.objects.get(name="Asbarez").policy_text.startswith("Comments are welcomed")


def test_loading_the_seed_fixtures_twice_duplicates_nothing(seeds):
    call_command("loaddata", ROOT / "fixtures" / "seeds.json", verbosity=0)
    assert Article.objects.count() == 5
    assert Comment.objects.count() == 21


def test_committed_fixtures_are_exactly_what_the_captures_give():
    out = StringIO()
    call_command("seed_fixtures", check=True, stdout=out)
    assert "matches the captures" in out.getvalue()


def test_a_changed_capture_makes_the_check_fail(tmp_path):
    pages = tmp_path / "pages"
    shutil.copytree(PAGES, pages)
    capture = pages / "003_dc28b77d8e265672.txt"
    capture.write_text(capture.read_text("utf-8").replace("bastard", "b*****d"), "utf-8")
    with pytest.raises(CommandError, match="is not what the captures give"):
        call_command("seed_fixtures", pages=pages, check=True, stdout=StringIO())


def test_building_fixtures_writes_the_file(tmp_path):
    output = tmp_path / "seeds.json"
    call_command("seed_fixtures", output=output, stdout=StringIO())
    assert output.read_bytes() == (ROOT / "fixtures" / "seeds.json").read_bytes()


def test_building_fixtures_refuses_a_database_with_data(seeds, tmp_path):
    with pytest.raises(CommandError, match="empty database"):
        call_command("seed_fixtures", output=tmp_path / "x.json", stdout=StringIO())


def test_load_seeds_fills_an_empty_archive():
    out = StringIO()
    call_command("load_seeds", stdout=out)
    assert "Loaded the seed articles: 5 articles." in out.getvalue()
    assert Comment.objects.count() == 21


def test_load_seeds_leaves_an_archive_with_articles_alone(seeds):
    Comment.objects.filter(position="1").update(body_text="Imported since")
    out = StringIO()
    call_command("load_seeds", stdout=out)
    assert "seeds not loaded" in out.getvalue()
    assert Comment.objects.filter(body_text="Imported since").count() == 4

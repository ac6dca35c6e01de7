"""QuickSelect writes what Django's template-rendered Select writes, escaping included."""

import pytest
from django import forms
from django.test.html import parse_html

from moderation.widgets import QuickSelect

CHOICES = [("", "Any"), ("1", "Profanity (Asbarez)"), ("2", 'Tom & "Jerry" <b>'), (3, "Three")]


def normalized(html: str):
    """The markup as a tree (attribute order and whitespace between tags do not matter)."""
    return parse_html(html)


@pytest.mark.parametrize("value", [None, "", "1", "2", 3, "no such choice"])
def test_quick_select_renders_as_djangos_select(value):
    attrs = {"id": "id_category", "class": "wide"}
    ours = QuickSelect(choices=CHOICES).render("category", value, attrs=attrs)
    django = forms.Select(choices=CHOICES).render("category", value, attrs=attrs)
    assert normalized(ours) == normalized(django)


# The same value twice (only the first is selected, as Django does), and option groups.
TWICE = [*CHOICES, ("1", "Profanity again")]
GROUPED = [("", "Any"), ("Asbarez", [("1", "Profanity"), ("2", "Attack")]), ("3", "Three")]


@pytest.mark.parametrize("choices", [TWICE, GROUPED], ids=["twice", "grouped"])
@pytest.mark.parametrize("value", [None, "1", "3"])
def test_quick_select_renders_repeats_and_groups_as_djangos_select(choices, value):
    ours = QuickSelect(choices=choices).render("category", value, attrs={"id": "id_c"})
    django = forms.Select(choices=choices).render("category", value, attrs={"id": "id_c"})
    assert normalized(ours) == normalized(django)


def test_quick_select_of_model_choices_renders_as_djangos_select(site):
    from moderation.filters import QueueFilter

    form = QueueFilter({"category": "", "status": "removed"}).form
    for name in ("category", "site", "moderator", "status"):
        field = form[name]
        ours = str(field)
        field.field.widget = forms.Select(choices=field.field.widget.choices)
        assert normalized(ours) == normalized(str(form[name])), name


@pytest.mark.parametrize("url", ["/queue/", "/audit/", "/users/"])
def test_every_menu_of_a_filter_form_is_a_quick_select(admin_client, site, url):
    response = admin_client.get(url)
    form = response.context["filter"].form
    menus = [f for f in form.fields.values() if isinstance(f.widget, forms.Select)]
    assert menus
    assert all(isinstance(f.widget, QuickSelect) for f in menus)
    assert "Profanity (Asbarez)</option>" in response.content.decode() or url != "/queue/"

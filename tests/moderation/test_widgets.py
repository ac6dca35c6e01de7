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


@pytest.mark.parametrize("url", ["/queue/", "/audit/", "/users/"])
def test_every_menu_of_a_filter_form_is_a_quick_select(admin_client, site, url):
    response = admin_client.get(url)
    form = response.context["filter"].form
    menus = [f for f in form.fields.values() if isinstance(f.widget, forms.Select)]
    assert menus
    assert all(isinstance(f.widget, QuickSelect) for f in menus)
    assert "Profanity (Asbarez)</option>" in response.content.decode() or url != "/queue/"

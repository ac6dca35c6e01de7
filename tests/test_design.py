"""The stylesheet's colour tokens meet WCAG 2.2 AA: 4.5:1 for text on the backgrounds it is
used on, 3:1 for the borders of fields and buttons (non-text contrast). Read from the
`:root` block of static/css/app.css, so changing a colour there is checked here."""

import re
from pathlib import Path

import pytest

CSS = Path(__file__).resolve().parent.parent / "static" / "css" / "app.css"

# (text, background) as token names, or a literal colour.
TEXT_ON = [
    ("fg", "bg"),
    ("fg", "soft"),
    ("muted", "bg"),
    ("muted", "soft"),
    ("accent", "bg"),
    ("accent", "soft"),
    ("accent-strong", "bg"),
    ("#ffffff", "accent"),
    ("#ffffff", "accent-strong"),
    ("ok", "ok-bg"),
    ("danger", "danger-bg"),
    ("danger", "bg"),
    ("warn", "warn-bg"),
    ("escalated", "escalated-bg"),
    ("muted", "warn-bg"),
    ("muted", "danger-bg"),
]
BORDERS_ON = [("control", "bg"), ("control", "soft"), ("focus", "bg")]


def tokens() -> dict[str, str]:
    root = re.search(r":root\s*\{(.*?)\}", CSS.read_text(), re.S).group(1)
    return dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{3,6})\b", root))


def colour(name: str, found: dict[str, str]) -> str:
    return name if name.startswith("#") else found[name]


def luminance(hex_colour: str) -> float:
    value = hex_colour.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    channels = [int(value[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    light, dark = sorted([luminance(a), luminance(b)], reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_contrast_formula_matches_known_values():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # just under AA


@pytest.mark.parametrize(("text", "background"), TEXT_ON)
def test_text_colours_meet_aa(text, background):
    found = tokens()
    ratio = contrast(colour(text, found), colour(background, found))
    assert ratio >= 4.5, f"{text} on {background}: {ratio:.2f}:1"


@pytest.mark.parametrize(("border", "background"), BORDERS_ON)
def test_control_borders_and_focus_ring_meet_3_to_1(border, background):
    found = tokens()
    ratio = contrast(colour(border, found), colour(background, found))
    assert ratio >= 3, f"{border} on {background}: {ratio:.2f}:1"

"""The one place that cleans comment HTML (bleach), and the text/HTML conversions around it.

Comment HTML is sanitized once, when it is imported, and the result is stored in
`Comment.body_html`; templates render only that field. Nothing here runs per request.
"""

import html
import re
from html.parser import HTMLParser

import bleach
from bleach.html5lib_shim import Filter

# What a reader comment may contain: the inline markup WordPress allows in comments
# (wp_kses_allowed_html('pre_user_description'), roughly) plus paragraphs and line breaks.
ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "acronym", "b", "blockquote", "br", "cite", "code", "del", "em",
        "i", "li", "ol", "p", "pre", "q", "s", "strike", "strong", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": ["href", "title"], "abbr": ["title"], "acronym": ["title"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener noreferrer ugc"


class _LinkRelFilter(Filter):
    """Marks every surviving link as user-generated: no SEO credit, no window.opener."""

    def __iter__(self):
        for token in super().__iter__():
            if token["type"] in ("StartTag", "EmptyTag") and token["name"] == "a":
                attrs = dict(token.get("data") or {})
                attrs[(None, "rel")] = LINK_REL
                token["data"] = attrs
            yield token


_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[_LinkRelFilter],
)


def sanitize(markup: str) -> str:
    """Return `markup` reduced to the allowlist: no scripts, handlers, styles or unsafe URLs.

    Disallowed tags are dropped and their text kept, as WordPress's kses does for comments,
    so what readers saw as text stays visible to moderators as text.
    """
    return _cleaner.clean(markup)


def text_to_html(text: str) -> str:
    """Plain published text as HTML: blank lines make paragraphs, newlines make <br>."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip("\n")) if p.strip()]
    return "".join(
        "<p>" + "<br>\n".join(html.escape(line) for line in p.split("\n")) + "</p>\n"
        for p in paragraphs
    ).rstrip("\n")


def autop(markup: str) -> str:
    """WordPress's wpautop, reduced: blank lines separate paragraphs, newlines become <br>.

    Comment content in a WordPress export is stored before this formatting is applied;
    applying it here makes the stored HTML read the way the page showed it.
    """
    markup = markup.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not markup:
        return ""
    blocks = [b.strip() for b in re.split(r"\n\s*\n", markup) if b.strip()]
    out = []
    for block in blocks:
        if re.match(r"(?is)^<(p|blockquote|ul|ol|pre)\b", block):
            out.append(block)
        else:
            out.append("<p>" + block.replace("\n", "<br>\n") + "</p>")
    return "\n".join(out)


_BLOCK_TAGS = {"p", "blockquote", "ul", "ol", "pre", "li"}


class _TextExtractor(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag):
        if tag in _BLOCK_TAGS:
            self.parts.append("\n\n")

    def handle_data(self, data):
        self.parts.append(data)


def html_to_text(markup: str) -> str:
    """The text a reader sees in sanitized comment HTML: tags gone, entities decoded,
    <br> as a newline and paragraphs separated by one blank line."""
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    text = "".join(parser.parts)
    lines = [line.strip() for line in text.split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")

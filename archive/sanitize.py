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


# Block-level tags as wpautop knows them: text is never wrapped in <p> across one of them.
_AUTOP_BLOCK = re.compile(
    r"<(/?)(address|article|aside|blockquote|dd|details|div|dl|dt|fieldset|figcaption|figure|"
    r"footer|form|h[1-6]|header|hr|li|menu|nav|ol|p|pre|section|summary|table|tbody|td|tfoot|"
    r"th|thead|tr|ul)\b[^>]*>",
    re.IGNORECASE,
)
# Inside these, text is the content of one block: newlines become <br>, no new paragraphs.
_AUTOP_TEXT_BLOCKS = {"p", "li", "dt", "dd", "td", "th", "summary", "figcaption"} | {
    f"h{n}" for n in range(1, 7)
}
# Inside these, only other blocks belong; the whitespace between them is left alone.
_AUTOP_LIST_BLOCKS = {"ul", "ol", "dl", "menu", "table", "tbody", "thead", "tfoot", "tr"}


def autop(markup: str) -> str:
    """WordPress's wpautop, reduced: blank lines separate paragraphs, newlines become <br>.

    Comment content in a WordPress export is stored before this formatting is applied;
    applying it here makes the stored HTML read the way the page showed it. As in wpautop,
    block tags (a quoted <blockquote>, a list) start and end paragraphs wherever they sit in
    the text, and the inside of <pre> is left exactly as written.
    """
    markup = markup.replace("\r\n", "\n").replace("\r", "\n").strip()
    out: list[str] = []
    open_blocks: list[str] = []
    at = 0
    for tag in _AUTOP_BLOCK.finditer(markup):
        out.append(_autop_text(markup[at : tag.start()], open_blocks))
        out.append(tag[0])
        at = tag.end()
        name = tag[2].lower()
        if tag[1]:  # a closing tag closes everything opened inside it, as a browser does
            if name in open_blocks:
                del open_blocks[len(open_blocks) - 1 - open_blocks[::-1].index(name) :]
        elif name != "hr" and not tag[0].endswith("/>"):
            open_blocks.append(name)
    out.append(_autop_text(markup[at:], open_blocks))
    return "".join(out).strip()


def _autop_text(text: str, open_blocks: list[str]) -> str:
    inside = open_blocks[-1] if open_blocks else None
    if "pre" in open_blocks or inside in _AUTOP_LIST_BLOCKS:
        return text
    if inside in _AUTOP_TEXT_BLOCKS:
        return re.sub(r"[ \t]*\n", "<br>\n", text.strip("\n"))
    paragraphs = [p.strip() for p in re.split(r"\n[ \t]*\n", text) if p.strip()]
    if not paragraphs:
        return "\n" if "\n" in text else text
    return "\n".join("<p>" + re.sub(r"[ \t]*\n", "<br>\n", p) + "</p>" for p in paragraphs)


# What a browser shows on a line of its own: blocks are set off by a blank line, list items
# and <br> by a line break.
_TEXT_PARAGRAPHS = {"p", "blockquote", "ul", "ol", "pre"}
_TEXT_LINES = {"br", "li"}
# HTML collapses runs of these (not the no-break space) to one space, outside <pre>.
_COLLAPSIBLE = re.compile(r"[ \t\n\r\f]+")


class _TextExtractor(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.in_pre = 0
        self.line_start = True

    def _break(self, newlines: str) -> None:
        # Spaces next to a line break are not shown.
        while self.parts and not self.parts[-1].strip(" "):
            self.parts.pop()
        if self.parts:
            self.parts[-1] = self.parts[-1].rstrip(" ")
        self.parts.append(newlines)
        self.line_start = True

    def handle_starttag(self, tag, attrs):
        if tag in _TEXT_LINES:
            self._break("\n")
        elif tag in _TEXT_PARAGRAPHS:
            self._break("\n\n")
        if tag == "pre":
            self.in_pre += 1

    def handle_endtag(self, tag):
        if tag in _TEXT_PARAGRAPHS:
            self._break("\n\n")
        if tag == "pre" and self.in_pre:
            self.in_pre -= 1

    def handle_data(self, data):
        if not self.in_pre:
            data = _COLLAPSIBLE.sub(" ", data)
            if self.line_start:
                data = data.lstrip(" ")
        if data:
            self.parts.append(data)
            self.line_start = False


def html_to_text(markup: str) -> str:
    """The text a reader sees in sanitized comment HTML: tags gone, entities decoded,
    whitespace collapsed as a browser does (except in <pre>), <br> and list items on a line
    of their own, and paragraphs separated by one blank line."""
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    parser._break("")
    text = re.sub(r"(?m)^\s+$", "", "".join(parser.parts))  # e.g. WordPress's <p>&nbsp;</p>
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")

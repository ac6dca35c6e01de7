"""The one place that cleans comment HTML (bleach), and the text/HTML conversions around it.

Comment HTML is sanitized once, when it is imported, and the result is stored in
`Comment.body_html`; templates render only that field. Nothing here runs per request.
"""

import html
import re
from dataclasses import dataclass
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


def sanitize(markup: str, *, max_elements: int | None = None) -> str:
    """Return `markup` reduced to the allowlist: no scripts, handlers, styles or unsafe URLs.

    Disallowed tags are dropped and their text kept, as WordPress's kses does for comments,
    so what readers saw as text stays visible to moderators as text. Markup nested deeper
    than `bound` allows loses its deepest tags first (see `bound`; importers call it
    themselves to report what was cut). Simple, well-formed markup takes a short way with
    bleach's result (`simple`).
    """
    made = simple(markup, max_elements)
    if made is not None:
        return made
    return _cleaner.clean(bound(markup, max_elements=max_elements).markup)


# The short way for what most reader HTML is: paragraphs, line breaks, quotes, bold and
# emphasis, plain links, all lower-case, closed in the order they were opened. For such
# markup html5lib builds exactly the elements the tags say (no paragraph closed by another
# block, nothing re-opened), and bleach writes them back as they were, escaping ">" and a
# bare "&", and giving each link its rel. `simple` writes that same output itself, some
# twenty times faster than bleach; anything else (another tag or attribute, upper case,
# a quote inside a paragraph, a tag left open or closed out of order, an entity it does
# not know, a control character) returns None and goes to bleach. Tests compare both ways
# on generated markup, valid and broken.
_SIMPLE_TAG = re.compile(
    r"<(?:(/?)(p|blockquote|b|i|em|strong)>|br ?/?>|a href=\"(https?://[-A-Za-z0-9._~:/?#=%+,;@!$*]*)\">|/a>)"
)
_SIMPLE_ENTITY = re.compile(r"&(?:amp|lt|gt|quot|nbsp|#(?:3[2-9]|[4-9][0-9]|1[01][0-9]|12[0-6]));")
_SIMPLE_SPECIAL = re.compile(r"[<>&]")
# Characters html5lib reports or replaces (controls but tab and line feed; "\r", which it
# reads as a line break; surrogates; non-characters of the first plane), and any character
# beyond it: left to bleach.
_NOT_SIMPLE = re.compile(
    "[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\ud800-\\udfff\\ufdd0-\\ufdef\\ufffe\\uffff]"
)
_BLOCKS = frozenset({"p", "blockquote"})
_SIMPLE_DEPTH = 16  # well within bound's caps: nothing there is ever cut


def simple(markup: str, max_elements: int | None = None) -> str | None:
    """What bleach makes of `markup` (with `bound`'s caps) if it is simple, well-formed
    reader HTML (see above), else None."""
    if _NOT_SIMPLE.search(markup):
        return None
    out: list[str] = []
    open_: list[str] = []
    elements = at = 0
    while (found := _SIMPLE_SPECIAL.search(markup, at)) is not None:
        start = found.start()
        out.append(markup[at:start])
        char = markup[start]
        if char == ">":
            out.append("&gt;")
            at = start + 1
        elif char == "&":
            entity = _SIMPLE_ENTITY.match(markup, start)
            if entity is not None:
                out.append(entity.group())
                at = entity.end()
            elif markup[start + 1 : start + 2] in ("", " ", "\n", "\t"):
                out.append("&amp;")
                at = start + 1
            else:
                return None
        else:
            tag = _SIMPLE_TAG.match(markup, start)
            if tag is None or not _simple_tag(tag, open_, out):
                return None
            elements += not tag.group().startswith("</")
            if len(open_) > _SIMPLE_DEPTH or elements > (max_elements or MAX_ELEMENTS):
                return None
            at = tag.end()
    if open_:
        return None
    out.append(markup[at:])
    return "".join(out)


def _simple_tag(tag: re.Match, open_: list[str], out: list[str]) -> bool:
    """Follow one tag of simple markup: write it as bleach would and keep the open
    elements; False where html5lib would build something else than the tags say."""
    if tag.group() in ("<br>", "<br/>", "<br />"):
        out.append("<br>")
        return True
    end, name, href = tag[1], tag[2] or "a", tag[3]
    if end or tag.group() == "</a>":
        if not open_ or open_.pop() != name:
            return False
        out.append(f"</{name}>")
        return True
    if name in _BLOCKS and any(element != "blockquote" for element in open_):
        return False  # a block inside a paragraph or a formatting element: html5lib moves it
    if name not in _BLOCKS and sum(e not in _BLOCKS for e in open_) >= MAX_FORMATTING:
        return False  # one formatting element more than `bound` lets open: it would cut it
    if name == "a":
        if "a" in open_:
            return False  # a link inside a link: html5lib closes the first
        out.append(f'<a href="{href}" rel="{LINK_REL}">')
    else:
        out.append(f"<{name}>")
    open_.append(name)
    return True


# What sanitizing one comment may cost. bleach's parser (html5lib) spends some 100 µs on
# each element it builds, and for every tag and run of text it walks the open elements and
# re-opens, in each new block, the formatting elements (<b>, <a>, <em>…) left unclosed: on
# unclosed or misnested tags its time grows with the square of the length (64 KB of `<b>`
# took 3.3 s, 1.35 MB took 429 s) and a few bytes of markup can make it build thousands of
# elements. With these caps the work per tag is bounded and so is the number of elements:
# sanitizing one comment takes well under a second. No comment a person writes comes near
# them (the seed comments have at most a few dozen elements).
MAX_DEPTH = 32  # elements open at once
MAX_FORMATTING = 8  # formatting elements left unclosed
MAX_ELEMENTS = 1_500  # elements html5lib builds for one comment, re-opened ones included
# WordPress's comment_content column holds 65,535 bytes; WordPress refuses a comment longer
# than 65,525 (wp_get_comment_fields_max_lengths), so no WordPress comment is longer.
COMMENT_MAX_BYTES = 65_525


@dataclass(frozen=True)
class Bounded:
    markup: str  # the same string when nothing was cut
    cuts: tuple[str, ...] = ()  # what was cut, in words, for the import report


def bound(markup: str, *, max_bytes: int | None = None, max_elements: int | None = None) -> Bounded:
    """`markup` cut to what sanitizing handles in bounded time and memory: at most
    `max_bytes` of UTF-8 (cut at a character boundary); no allowed tag opened beyond
    MAX_DEPTH open elements or MAX_FORMATTING unclosed formatting elements (that tag is
    removed, its text kept); and once `max_elements` (default MAX_ELEMENTS) elements are
    built, the allowed tags after that point removed, their text kept. Ordinary markup
    comes back unchanged, as the same string, so it sanitizes exactly as before.

    Only allowed tags count: bleach turns every other tag into text before building its
    tree. `_Nesting` follows the tree the way html5lib builds it, erring towards more open
    elements and more elements built than html5lib has, never fewer.
    """
    cuts = []
    if max_bytes is not None:
        markup, cut = truncate(markup, max_bytes)
        cuts += [cut] if cut else []
    if _may_cut(markup, max_elements or MAX_ELEMENTS):
        markup, nested, after_budget = _remove_tags(markup, max_elements or MAX_ELEMENTS)
        if nested:
            cuts.append(
                f"{nested:,} tag(s) opened beyond {MAX_DEPTH} open elements or "
                f"{MAX_FORMATTING} unclosed formatting elements removed (their text kept)"
            )
        if after_budget:
            cuts.append(
                f"the last {after_budget:,} tag(s), after the first "
                f"{max_elements or MAX_ELEMENTS:,} elements, removed (their text kept)"
            )
    return Bounded(markup, tuple(cuts))


def _may_cut(markup: str, max_elements: int) -> bool:
    """Whether `_remove_tags` could remove anything: not from markup of at most 16 tags
    (each starts with "<") of which at most MAX_FORMATTING are not end tags, and most
    comments are such. The formatting cap takes a start tag more than that; the depth cap
    MAX_DEPTH open elements, and no more can be open than start tags and re-opened copies of
    the MAX_FORMATTING formatting ones; and so few tags build at most 8 + 89 * 16 = 1,432
    elements (one per start, stray </p> or comment; at most 8 re-opened at each tag or run
    of text; at most 72 copies at each end of a formatting element), under the budget."""
    tags = markup.count("<")
    if not tags:
        return False
    if tags > 16 or max_elements < MAX_ELEMENTS:
        return True
    return tags - markup.count("</") > MAX_FORMATTING


def truncate(text: str, max_bytes: int) -> tuple[str, str | None]:
    """`text` cut to at most `max_bytes` of UTF-8, at a character boundary, and what was
    cut in words (None when nothing was)."""
    # A character is at least one byte: the first max_bytes of them hold the cut, and
    # encoding no more than those keeps a 23 MB comment from being copied whole.
    head = text[:max_bytes].encode("utf-8", "surrogatepass")
    if len(head) <= max_bytes and len(text) <= max_bytes:
        return text, None
    cut = head[:max_bytes].decode("utf-8", "ignore")
    return cut, f"cut to its first {max_bytes:,} bytes (it had {len(text):,} characters)"


def _remove_tags(markup: str, max_elements: int) -> tuple[str, int, int]:
    """`markup` without the tags `bound` removes (the same string if none), how many were
    nested too deep, and how many came after the element budget was spent."""
    nesting = _Nesting()
    kept: list[str] = []
    at = end_of_last = nested = after_budget = 0
    for tag in _TAG.finditer(markup):
        name = (tag["name"] or "").lower()
        if tag["name"] and name not in ALLOWED_TAGS:
            continue  # a tag bleach turns into text
        if nesting.created > max_elements:
            keep = False
            after_budget += 1
        elif not name:
            nesting.created += 1  # a comment: dropped by bleach, but built by html5lib first
            continue
        else:
            if tag.start() > end_of_last:
                nesting.text()
            end_of_last = tag.end()
            keep = nesting.end(name) if tag["end"] else nesting.start(name)
            nested += not keep
        if not keep:
            kept.append(markup[at : tag.start()])
            at = tag.end()
    if not (nested or after_budget):
        return markup, 0, 0
    return "".join(kept) + markup[at:], nested, after_budget


# A tag as html5lib's tokenizer reads it: a name, then attributes whose quoted values may
# hold ">" (only right after "="); an HTML comment, or a bogus one ("<!x", "<?x", "</ x"),
# whose "<b>" is not a tag. A tag cut off by the end of the text still counts (html5lib
# drops it): counting a tag too many only ever cuts earlier. Atomic groups keep it linear.
_TAG = re.compile(
    r"""<!--(?:>|->)|<!--.*?(?:--!?>|\Z)|<[!?][^>]*>?|</(?![a-zA-Z])[^>]*>?"""
    r"""|<(?P<end>/?)(?P<name>[a-zA-Z][^\t\n\f\r />]*)"""
    r"""(?>[\t\n\f\r /]+|(?:=[^\t\n\f\r />=]*|[^\t\n\f\r />=]+)"""
    r"""(?>[\t\n\f\r ]*=[\t\n\f\r ]*(?>"[^"]*"|'[^']*'|[^\t\n\f\r >]*))?)*>?""",
    re.DOTALL,
)
# html5lib's kinds of the allowed tags: formatting elements are re-opened after a block
# closes them until their own end tag comes; special ones stop an end tag reaching past.
_FORMATTING = frozenset({"a", "b", "code", "em", "i", "s", "strike", "strong"})
_SPECIAL = frozenset({"blockquote", "li", "ol", "p", "pre", "ul"})
_INLINE = _FORMATTING | {"abbr", "acronym", "br", "cite", "del", "q"}  # re-open first


class _Nesting:
    """What html5lib's tree builder holds after the tags seen so far (an upper bound): the
    open elements, the unclosed formatting elements, and how many elements it has built.
    `start` and `end` take a tag and say whether it may be kept."""

    def __init__(self):
        self.open: list[str] = []
        self.formatting: list[str] = []
        self.created = 0

    def text(self) -> None:
        """Text (or a tag bleach turns into text): html5lib re-opens the formatting
        elements that are not open, making a new element for each."""
        missing = list(self.formatting)
        for name in self.open:
            if name in missing:
                missing.remove(name)
        self.open.extend(missing)
        self.created += len(missing)

    def start(self, name: str) -> bool:
        if len(self.open) >= MAX_DEPTH or (
            name in _FORMATTING and len(self.formatting) >= MAX_FORMATTING
        ):
            return False  # checked first: html5lib never sees this tag
        if name == "a" and "a" in self.formatting:
            self.end("a")  # html5lib closes an open link before opening another
        if name in _INLINE:
            self.text()
        self.created += 1
        if name == "br":
            return True  # a void element opens nothing
        if name == "li":
            self._close_item()
        if name in _SPECIAL and "p" in self.open:
            self._pop_to("p")
        self.open.append(name)
        if name in _FORMATTING:
            self.formatting.append(name)
        return True

    def end(self, name: str) -> bool:
        if name in _FORMATTING and name in self.formatting:
            self._end_formatting(name)
        elif name == "li":
            self._close_item()
        elif name in _SPECIAL:
            if name in self.open:
                self._pop_to(name)
            elif name == "p":
                self.created += 1  # html5lib makes an empty <p> for a stray </p>
        elif name == "br":
            self.start("br")  # html5lib reads </br> as <br>
        else:
            for node in reversed(self.open):
                if node == name:
                    self._pop_to(name)
                    break
                if node in _SPECIAL:
                    break  # html5lib ignores an end tag that a block stands in the way of
        return True

    def _end_formatting(self, name: str) -> None:
        if name not in self.open:
            self._remove_last(self.formatting, name)
            return
        above = self.open[len(self.open) - self.open[::-1].index(name) :]
        blocks = sum(node in _SPECIAL for node in above)
        if not blocks:
            self._pop_to(name)
            self._remove_last(self.formatting, name)
            return
        # html5lib's adoption agency moves the blocks opened inside the element out of it,
        # copying the element (and the formatting elements between) into them, once for
        # each block up to eight; a copy stays unclosed, in the element's place among the
        # open elements and the formatting ones (so neither list gets shorter: the blocks
        # keep their depth). Count the copies as built.
        formatting_between = sum(node in _FORMATTING for node in above)
        self.created += min(blocks, 8) * (1 + formatting_between)
        # The element itself leaves html5lib's open elements (its copy goes inside the
        # block, and closes with it): its place stays counted, under a name no end tag
        # matches, so that a later end tag of its name does not close what is above it.
        at = len(self.open) - 1 - self.open[::-1].index(name)
        self.open[at] = f"{name} (moved)"

    def _close_item(self) -> None:
        for node in reversed(self.open):
            if node == "li":
                self._pop_to("li")
                return
            if node in _SPECIAL and node != "p":
                return

    def _pop_to(self, name: str) -> None:
        del self.open[len(self.open) - 1 - self.open[::-1].index(name) :]

    @staticmethod
    def _remove_last(items: list[str], name: str) -> None:
        del items[len(items) - 1 - items[::-1].index(name)]


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
    blocks = _OpenBlocks()
    at = 0
    for tag in _AUTOP_BLOCK.finditer(markup):
        out.append(_autop_text(markup[at : tag.start()], blocks))
        out.append(tag[0])
        at = tag.end()
        name = tag[2].lower()
        if tag[1]:  # a closing tag closes everything opened inside it, as a browser does
            blocks.close(name)
        elif name != "hr" and not tag[0].endswith("/>"):
            blocks.open(name)
    out.append(_autop_text(markup[at:], blocks))
    return "".join(out).strip()


class _OpenBlocks:
    """The block tags open at a point of the text, with a count per name, so that asking
    whether one is open costs the same however deep the nesting (autop runs before bleach,
    on whatever an export holds)."""

    def __init__(self):
        self.names: list[str] = []
        self.count: dict[str, int] = {}

    @property
    def inside(self) -> str | None:
        return self.names[-1] if self.names else None

    def __contains__(self, name: str) -> bool:
        return self.count.get(name, 0) > 0

    def open(self, name: str) -> None:
        self.names.append(name)
        self.count[name] = self.count.get(name, 0) + 1

    def close(self, name: str) -> None:
        if name not in self:
            return  # each name popped here was pushed once: linear over the whole text
        while True:
            popped = self.names.pop()
            self.count[popped] -= 1
            if popped == name:
                return


def _autop_text(text: str, open_blocks: _OpenBlocks) -> str:
    inside = open_blocks.inside
    if "pre" in open_blocks or inside in _AUTOP_LIST_BLOCKS:
        return text
    if inside in _AUTOP_TEXT_BLOCKS:
        return re.sub(r"[ \t]*\n", "<br>\n", text.strip("\n"))
    paragraphs = [p.strip() for p in _BLANK_LINE.split(text) if p.strip()]
    if not paragraphs:
        return "\n" if "\n" in text else text
    return "\n".join(
        "<p>" + (_LINE_END.sub("<br>\n", p) if "\n" in p else p) + "</p>" for p in paragraphs
    )


_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_LINE_END = re.compile(r"[ \t]*\n")


# What a browser shows on a line of its own: blocks are set off by a blank line, list items
# and <br> by a line break.
_TEXT_PARAGRAPHS = {"p", "blockquote", "ul", "ol", "pre"}
_TEXT_LINES = {"br", "li"}
_TEXT_BREAKS = _TEXT_PARAGRAPHS | _TEXT_LINES
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
            data = _RUNS.sub(" ", data)
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
    return _joined(parser)


def _joined(parser: _TextExtractor) -> str:
    parser._break("")
    return _tidy("".join(parser.parts))


def _tidy(text: str) -> str:
    """The extracted text with its blank lines and paragraph breaks made as a reader sees
    them: a line of only white space is empty (e.g. WordPress's <p>&nbsp;</p>), and two
    line breaks at most in a row."""
    text = _BLANK_LINE_SPACE.sub("", text)
    if "\n\n\n" in text:
        text = _LINE_BREAKS.sub("\n\n", text)
    return text.strip("\n")


_BLANK_LINE_SPACE = re.compile(r"(?m)^\s+$")
_LINE_BREAKS = re.compile(r"\n{3,}")


# A tag as bleach writes it: a name, then attributes whose values are always double-quoted
# (and may hold ">"). In its output every other "<" is written "&lt;".
_SANITIZED_TAG = re.compile(r"""<(/?)([a-zA-Z][^\t\n\f\r />]*)(?:[^>"]|"[^"]*")*>""")
# The runs of white space that collapsing changes (all but a single space): the same result
# as replacing every run, without replacing each space between two words by a space.
_RUNS = re.compile(r"[\t\n\r\f][ \t\n\r\f]*| [ \t\n\r\f]+")


def sanitized_text(markup: str) -> str:
    """`html_to_text(markup)` for markup that `sanitize` wrote, several times faster: bleach's
    output is well-formed (every "<" opens a tag, attributes quoted), so one pattern splits
    it into the runs of text and the tags that html.parser would find, and they are read as
    `_TextExtractor` reads them. Tests compare the two on generated markup."""
    pieces = _SANITIZED_TAG.split(markup)  # text, "/" or "", tag name, text, …, text
    parts: list[str] = []
    pre = 0
    line_start = True
    last = len(pieces) - 1
    for i in range(0, len(pieces), 3):
        data = pieces[i]
        if data:
            if "&" in data:
                data = html.unescape(data)
            if not pre:
                data = _RUNS.sub(" ", data)
                if line_start:
                    data = data.lstrip(" ")
            if data:
                parts.append(data)
                line_start = False
        if i == last:
            break
        name = pieces[i + 2].lower()
        if name in _TEXT_BREAKS and (name in _TEXT_PARAGRAPHS or not pieces[i + 1]):
            # A paragraph's start or end, a line's start: as `_TextExtractor` breaks.
            _break(parts, "\n" if name in _TEXT_LINES else "\n\n")
            line_start = True
        if name == "pre":
            pre = pre + 1 if not pieces[i + 1] else max(pre - 1, 0)
    _break(parts, "")
    return _tidy("".join(parts))


def _break(parts: list[str], newlines: str) -> None:
    """`_TextExtractor._break`: spaces next to a line break are not shown."""
    while parts and not parts[-1].strip(" "):
        parts.pop()
    if parts:
        parts[-1] = parts[-1].rstrip(" ")
    parts.append(newlines)


# Cleaning content for the archive: what an importer stores for a comment or a post.


@dataclass(frozen=True)
class Cleaned:
    html: str  # sanitized: what Comment.body_html holds
    text: str  # the text a reader sees in it: what Comment.body_text holds
    cuts: tuple[str, ...] = ()  # what was cut to keep sanitizing bounded, in words


# What bleach changes in text outside any tag besides escaping ">": "<" and "&" start markup;
# control characters (but tab and line breaks) become "?" or vanish; surrogates never come
# from a file but are no text either. Content without any of them is plain text.
_NOT_PLAIN = re.compile("[<&\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def clean(
    markup: str, *, max_bytes: int, max_elements: int | None = None, paragraphs: bool = True
) -> Cleaned:
    """Content as WordPress stores it, made what the archive stores: cut to `max_bytes`
    (`truncate`), paragraphs made as WordPress shows them (`autop`, if `paragraphs`), the
    caps of `bound`, then `sanitize`; and its text (`html_to_text`). Each cut is in `cuts`.

    Plain text (no "<", no "&", no control character) takes a short way with the same
    result: bleach would only escape its ">", and `autop`'s paragraphs and line breaks are
    all the markup there is (when there are fewer of them than the element cap). Tests
    compare both ways on generated text.
    """
    markup, cut = truncate(markup, max_bytes)
    cuts = (cut,) if cut else ()
    if not markup:
        return Cleaned("", "", cuts)
    if not _NOT_PLAIN.search(markup):
        if not paragraphs:
            if "\r" not in markup:  # bleach reads "\r" as a line break; else only escapes ">"
                made = markup.replace(">", "&gt;")
                return Cleaned(made, sanitized_text(made), cuts)
        else:
            made = autop(markup.replace(">", "&gt;"))
            # Each element is one "<" at least: with no more than the cap, nothing to cut.
            if made.count("<") <= (max_elements or MAX_ELEMENTS):
                return Cleaned(made, _paragraphs_text(made), cuts)
    if paragraphs:
        markup = autop(markup)
    made = simple(markup, max_elements)
    if made is not None:
        return Cleaned(made, sanitized_text(made), cuts)
    bounded = bound(markup, max_elements=max_elements)
    if bounded.cuts:
        made = sanitize(bounded.markup, max_elements=max_elements)
    else:
        made = _cleaner.clean(bounded.markup)  # bound(x) is x: sanitize would bound it again
    return Cleaned(made, sanitized_text(made), cuts + bounded.cuts)


def _paragraphs_text(made: str) -> str:
    """`html_to_text(made)` for what `autop` makes of plain text: paragraphs of lines, and
    no "<" in them, so the lines are found by splitting. Each line is what the text
    extractor keeps of it (white space collapsed, none at either end), and the paragraphs
    and lines are put together as it puts them, then tidied the same way."""
    if not made:
        return ""
    paragraphs, blank = [], False
    for paragraph in made[3:-4].split("</p>\n<p>"):  # "<p>…</p>\n<p>…</p>"
        lines = [_collapsed(line) for line in paragraph.replace("&gt;", ">").split("<br>\n")]
        blank = blank or not all(line.strip() for line in lines)
        paragraphs.append("\n".join(lines))
    if not blank:  # the tidying below would only take out the extractor's extra line breaks
        return "\n\n".join(paragraphs)
    return _tidy("\n\n" + "\n\n\n\n".join(paragraphs) + "\n\n")


def _collapsed(line: str) -> str:
    """A line of text as the extractor keeps it outside <pre>: runs of white space one
    space, none at either end (most lines have no run to collapse: no substitution)."""
    if "\t" in line or "  " in line:
        line = _RUNS.sub(" ", line)
    return line.strip(" ")


# One piece of content to clean: (markup, max_bytes, max_elements, paragraphs).
Job = tuple[str, int, int | None, bool]


def plain(job: Job) -> bool:
    """Whether `clean` takes the short way with this job (plain text, or nothing)."""
    markup, _, _, paragraphs = job
    return not _NOT_PLAIN.search(markup) and (paragraphs or "\r" not in markup)


def clean_all(jobs: list[Job]) -> list[tuple[str, str, tuple[str, ...]]]:
    """`clean` for each job, in order, as (html, text, cuts): what a worker process does
    with a chunk of them (plain tuples travel between processes faster than dataclasses)."""
    done = []
    for markup, max_bytes, max_elements, paragraphs in jobs:
        cleaned = clean(
            markup, max_bytes=max_bytes, max_elements=max_elements, paragraphs=paragraphs
        )
        done.append((cleaned.html, cleaned.text, cleaned.cuts))
    return done

"""The importers on generated input (issue 11): whatever a file holds, the importer either
imports it or refuses it with its own error (ImportFailure), and a refused file writes
nothing: one transaction per file.

The documents are built from the pieces real files are made of (namespaces declared every
way, ids, links, dates, tag soup, comment markers, indentation, chrome) and then damaged at
the byte level (cut short, bytes flipped, re-encoded), so that most examples get deep into
the parser and the loader instead of failing on the first byte. Each example goes through
`parse_wxr` / `parse_disqus` / `parse_page` and `loader.load`, the functions the commands
call, on the real database; a DatabaseError is a failure of the test (a value the parser let
through that the database refuses), not a refusal.
"""

import re
from io import BytesIO
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.importing.disqus import parse_disqus
from archive.importing.loader import load
from archive.importing.pages import parse_page
from archive.importing.records import ImportFailure
from archive.importing.wxr import parse_wxr
from archive.models import Article, Comment, Commenter, Site

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=120,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def rows() -> list:
    return [list(m.objects.order_by("pk").values()) for m in (Site, Article, Comment, Commenter)]


def import_or_refuse(parse) -> None:
    """Parse and load; a refusal must be an ImportFailure and leave every row as it was."""
    before = rows()
    refused = None
    try:
        parsed = parse()
        load(parsed, site_name=parsed.site_name or "Fuzz Site")
    except ImportFailure as failure:
        refused = str(failure)
    if refused is not None:
        assert refused  # says what is wrong
        assert rows() == before


# Text as it comes: words, markup, entities, scripts, emoji, the odd control character.
TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("ab <>&;'\"\n/=.-é«Բ😀\t\r")),
        st.characters(codec="utf-8", exclude_categories=["Cs"]),
    ),
    max_size=40,
)
SOUP = st.lists(
    st.one_of(
        st.sampled_from(
            ["<b>", "</b>", "<i>", "<p>", "</p>", "<blockquote>", "<li>", "<a href='x'>",
             "</a>", "<script>", "<!--", "-->", "&amp;", "&nbsp;", "\n\n", "<br/>"]
        ),
        TEXT,
    ),
    max_size=12,
).map("".join)  # fmt: skip
ID = st.one_of(
    st.integers(0, 30).map(str), st.sampled_from(["", "x", "-1", "99999999999999999999"])
)
URL = st.sampled_from(
    ["https://example.com/a/", "http://[oops", "javascript:alert(1)", "", "http://x:99999/",
     "https://" + "a" * 1200, "mailto:a@b", "//example.com"]
)  # fmt: skip
DATE = st.sampled_from(
    ["2024-03-01 10:00:00", "0000-00-00 00:00:00", "yesterday", "", "9999-12-31 23:59:59",
     "0001-01-01 00:00:00"]
)  # fmt: skip
NAMESPACE = st.sampled_from(
    ["http://wordpress.org/export/1.2/", "https://wordpress.org/export/1.2/",
     "http://wordpress.org/export/1.0/", "https://wordpress.org/export/1.1",
     "http://wordpress.com/export/1.2/", "urn:nothing"]
)  # fmt: skip


def cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


@st.composite
def wxr_comment(draw) -> str:
    fields = {
        "comment_id": draw(ID),
        "comment_parent": draw(ID),
        "comment_author": cdata(draw(TEXT)),
        "comment_date_gmt": draw(DATE),
        "comment_content": cdata(draw(SOUP)),
        "comment_approved": draw(st.sampled_from(["1", "0", "spam", "trash", "2", ""])),
        "comment_type": draw(st.sampled_from(["comment", "", "pingback", "note"])),
    }
    kept = draw(st.lists(st.sampled_from(sorted(fields)), unique=True, min_size=4))
    return "<wp:comment>" + "".join(f"<wp:{k}>{fields[k]}</wp:{k}>" for k in kept) + "</wp:comment>"


@st.composite
def wxr_item(draw) -> str:
    parts = [
        f"<title>{escape(draw(TEXT))}</title>",
        f"<link>{escape(draw(URL))}</link>",
        f"<pubDate>{draw(st.sampled_from(['Fri, 01 Mar 2024 09:00:00 +0000', 'x']))}</pubDate>",
        f"<content:encoded>{cdata(draw(SOUP))}</content:encoded>",
        f"<excerpt:encoded>{cdata(draw(SOUP))}</excerpt:encoded>",
        f"<wp:post_id>{draw(ID)}</wp:post_id>",
        f"<wp:post_date_gmt>{draw(DATE)}</wp:post_date_gmt>",
        f"<wp:status>{draw(st.sampled_from(['publish', 'private', 'draft', '']))}</wp:status>",
        f"<wp:post_type>{draw(st.sampled_from(['post', 'page', 'attachment', '']))}</wp:post_type>",
    ]
    kept = draw(st.lists(st.sampled_from(parts), unique=True, min_size=5))
    comments = draw(st.lists(wxr_comment(), max_size=6))
    return "<item>" + "".join(kept) + "".join(comments) + "</item>"


@st.composite
def wxr_document(draw) -> bytes:
    wp = draw(NAMESPACE)
    excerpt = wp.rstrip("/") + "/excerpt/"
    channel = (
        f"<title>{escape(draw(TEXT))}</title><link>{escape(draw(URL))}</link>"
        f"<wp:base_site_url>{escape(draw(URL))}</wp:base_site_url>"
        + "".join(draw(st.lists(wxr_item(), max_size=4)))
    )
    encoding = draw(st.sampled_from(["UTF-8", "ISO-8859-1", "KOI8-R", "UTF-16", "Shift_JIS"]))
    text = (
        f'<?xml version="1.0" encoding="{encoding}"?>\n<rss version="2.0" '
        f'xmlns:wp="{wp}" xmlns:excerpt="{excerpt}" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
        f"<channel>{channel}</channel></rss>\n"
    )
    data = text.encode(draw(st.sampled_from(["utf-8", "utf-8", "latin-1"])), "replace")
    return draw(damaged(data))


@st.composite
def damaged(draw, data: bytes) -> bytes:
    """`data` as it is, cut short, or with a few bytes overwritten."""
    how = draw(st.sampled_from(["as is", "as is", "cut", "flip"]))
    if how == "cut" and data:
        return data[: draw(st.integers(0, len(data) - 1))]
    if how == "flip" and data:
        data = bytearray(data)
        for _ in range(draw(st.integers(1, 3))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        return bytes(data)
    return data


@FUZZ
@given(wxr_document())
def test_any_wordpress_export_imports_or_is_refused_writing_nothing(document):
    import_or_refuse(lambda: parse_wxr(BytesIO(document)))


# Disqus exports: threads and posts whose ids may repeat or refer to nothing or to each other
# in a loop, with dates, flags, names and markup of every kind, in the namespaces however
# declared. The values are mostly ones an export holds, so that most examples get through
# the parser to the loader; `spoilt` then swaps one of them for a value the parser must
# refuse (an id that is no number, no id at all, an unreadable date or flag, a character XML
# cannot hold), and `damaged` may break the bytes.
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
XML_TEXT = TEXT.map(lambda text: _NOT_IN_XML.sub("", text))
XML_SOUP = SOUP.map(lambda text: _NOT_IN_XML.sub("", text))
ISO_DATE = st.sampled_from(
    ["2024-03-01T10:00:00Z", "2024-03-01T09:00:00Z", "2012-12-12T12:12:12", "",
     "2024-03-01T10:00:00+04:00", "0001-01-01T00:00:00", "9999-12-31T23:59:59Z", "2024-03-01",
     "0001-01-01T00:00:00+01:00"]
)  # fmt: skip
FLAG = st.sampled_from(["false", "false", "false", "true", "", "1", "0", "TRUE"])
DISQUS_NAMESPACE = st.sampled_from(["http://disqus.com"] * 4 + ["https://disqus.com/"])


def reference(name: str, value: str | None) -> str:
    return "" if value is None else f'<{name} dsq:id="{value}"/>'


@st.composite
def disqus_author(draw) -> str:
    parts = [
        f"<name>{escape(draw(XML_TEXT))}</name>",
        "<email>reader@mail.example</email>",
        f"<isAnonymous>{draw(FLAG)}</isAnonymous>",
        f"<username>{escape(draw(XML_TEXT))}</username>",
    ]
    return "<author>" + "".join(draw(st.lists(st.sampled_from(parts), unique=True))) + "</author>"


@st.composite
def disqus_thread(draw, key: int) -> str:
    parts = [
        f"<id>{escape(draw(XML_TEXT))}</id>",
        f"<forum>{escape(draw(XML_TEXT))}</forum>",
        f"<link>{escape(draw(URL))}</link>",
        f"<title>{escape(draw(XML_TEXT))}</title>",
        f"<message>{cdata(draw(XML_SOUP))}</message>",
        f"<createdAt>{draw(ISO_DATE)}</createdAt>",
        draw(disqus_author()),
        f"<isDeleted>{draw(st.sampled_from(['false', 'false', 'true']))}</isDeleted>",
    ]
    kept = draw(st.lists(st.sampled_from(parts), unique=True, min_size=3))
    return f'<thread dsq:id="{key}">' + "".join(kept) + "</thread>"


@st.composite
def disqus_post(draw, key: int, threads: list[int], posts: int) -> str:
    """Post `key` of one of `threads` (or of none, or of one not in the file), answering
    one of the `posts` (numbered 1 to `posts`) or not."""
    thread = st.one_of(st.sampled_from(threads), st.sampled_from([None, 99]))
    parent = st.one_of(st.none(), st.integers(1, posts + 1))
    parts = [
        f"<message>{cdata(draw(XML_SOUP))}</message>",
        f"<createdAt>{draw(ISO_DATE)}</createdAt>",
        f"<isDeleted>{draw(FLAG)}</isDeleted>",
        f"<isSpam>{draw(FLAG)}</isSpam>",
        draw(disqus_author()),
        "<ipAddress>192.0.2.1</ipAddress>",
        reference("thread", draw(thread)),
        reference("parent", draw(parent)),
    ]
    kept = draw(st.lists(st.sampled_from(parts), unique=True, min_size=4))
    return f'<post dsq:id="{key}">' + "".join(kept) + "</post>"


# What `spoilt` may swap one value for: (a value's pattern, the values it may become).
SPOILERS = [
    (r'(?<=<post )dsq:id="[^"]*"', ['dsq:id=""', 'dsq:id="x"', 'dsq:id="1_0"', 'dsq:id="1"']),
    (r'(?<=<thread )dsq:id="[^"]*"', ['dsq:id="x"', "a=''", 'dsq:id="1"']),
    (r"<createdAt>[^<]*</createdAt>", ["<createdAt>yesterday</createdAt>"]),
    (r"<isSpam>[^<]*</isSpam>", ["<isSpam>maybe</isSpam>"]),
    (r"</message>", ["\x01</message>"]),
]


@st.composite
def spoilt(draw, text: str) -> str:
    pattern, replacements = draw(st.sampled_from(SPOILERS))
    found = list(re.finditer(pattern, text))
    if not found:
        return text
    at = draw(st.sampled_from(found))
    return text[: at.start()] + draw(st.sampled_from(replacements)) + text[at.end() :]


@st.composite
def disqus_document(draw) -> bytes:
    keys = draw(st.lists(st.integers(1, 20), min_size=1, max_size=4, unique=True))
    count = draw(st.integers(0, 8))
    threads = [draw(disqus_thread(key)) for key in keys]
    posts = [draw(disqus_post(n, keys, count)) for n in range(1, count + 1)]
    entries = draw(st.permutations(threads + posts))  # posts may come first, as may replies
    encoding = draw(st.sampled_from(["utf-8"] * 6 + ["UTF-8", "ISO-8859-1", "UTF-16"]))
    text = (
        f'<?xml version="1.0" encoding="{encoding}"?>\n'
        f'<disqus xmlns="{draw(DISQUS_NAMESPACE)}" '
        'xmlns:dsq="http://disqus.com/disqus-internals">\n'
        '<category dsq:id="1"><forum>f</forum><title>General</title></category>'
        + "".join(entries)
        + "</disqus>\n"
    )
    if draw(st.sampled_from([False, False, True])):
        text = draw(spoilt(text))
    data = text.encode(draw(st.sampled_from(["utf-8"] * 4 + ["latin-1"])), "replace")
    return draw(damaged(data))


@FUZZ
@given(disqus_document())
def test_any_disqus_export_imports_or_is_refused_writing_nothing(document):
    import_or_refuse(lambda: parse_disqus(BytesIO(document)))


# Page captures: lines from the shapes the parser knows, in any order and indentation.
PAGE_LINE = st.one_of(
    st.sampled_from(
        [
            "",
            "",
            "Title of the story",
            "Discussion Policy",
            "Leave a Reply",
            "top of page",
            "bottom of page",
            "2 Comments",
            "1 Comment",
            "Ad for subscribing to The Report",
            "Asbarez reserves the right to block users.",
            "By Ann Author",
            "Ann Author",
            "(Photo: someone)",
            "October 20, 2020",
        ]
    ),
    st.builds(
        "{}{}. {}".format,
        st.sampled_from(["  ", " ", "    "]),
        st.integers(0, 12),
        st.sampled_from(["Vartan said:", "an anonymous comment", "", "Ann said: more"]),
    ),
    st.builds(
        "{}• {}".format,
        st.sampled_from(["  ", "    ", "      ", "     ", "          "]),
        st.sampled_from(["Bob said:", "a reply", ""]),
    ),
    st.builds("{}{}".format, st.sampled_from(["", "  ", "    ", "      "]), TEXT),
)


@st.composite
def page_capture(draw) -> str:
    lines = draw(st.lists(PAGE_LINE, max_size=40))
    text = "\n".join(lines) + draw(st.sampled_from(["", "\n"]))
    data = draw(damaged(text.encode("utf-8")))
    return data.decode("utf-8", "replace")


@FUZZ
@given(page_capture(), st.sampled_from([None, "Asbarez"]))
def test_any_page_capture_imports_or_is_refused_writing_nothing(capture, site):
    import_or_refuse(lambda: parse_page(capture, key="fuzz", site_name=site))

"""Plain-text captures of article pages (what a browser's "save as text" or a copy of the page
gives), parsed into records.

Two page shapes are known, both in `fixtures/pages/`:

* **WordPress** (Asbarez): title, byline block, body, a "Discussion Policy" paragraph, then the
  comment list indented by two spaces. Top-level comments are numbered (`  2. Vartan said:`),
  replies are bullets indented two more spaces per level (`    • Name said:`), and a comment's
  text is indented two spaces deeper than its marker. A marker without "said:" is an anonymous
  comment whose text starts on the marker line. "Leave a Reply" and the e-mail notice close it.
* **Wix** (The Armenian Report): "top of page", the title twice, body, a counter such as
  `1 Comment`, the comments unindented, an "Ad for subscribing to …" line, "bottom of page".

Everything else on the page (chrome, photo captions, repeated titles, bylines) is recognised
and reported in `ParsedSource.skipped`, never silently folded into the body or a comment.
Text that cannot be placed is left out and reported with its line in
`ParsedSource.warnings`, never folded into the policy or the article: a reply before the
first numbered comment (its comment is on another page of the thread), indented text after
the policy that is no comment, a last comment cut off by the end of the capture.

Text is kept exactly, line breaks included, with two normalisations that the captures force on
us: trailing spaces are dropped (they are invisible on the page) and a run of blank lines is one
paragraph break. Positions are what the page shows (`2`, `2.1`).

A capture has no comment ids, and positions move when the site deletes a comment (every later
one is renumbered), so a comment's source key is a hash of its author and text (with a counter
for identical comments). Re-importing a newer capture then moves each comment to its new
position, and moderation attached to a comment never lands on someone else's words; an edited
comment is new text, imported as a new comment beside the old one.
"""

import hashlib
import re
from dataclasses import dataclass, replace

from archive.importing.records import (
    SOURCE_PAGE,
    ArticleRecord,
    CommentRecord,
    ImportFailure,
    Notice,
    ParsedSource,
    Skipped,
)
from archive.sanitize import COMMENT_MAX_BYTES, bound, sanitize, text_to_html, truncate

# Whole lines that are page furniture, never content.
CHROME_LINES = {
    "top of page",
    "bottom of page",
    "Leave a Reply",
    "Leave a Comment",
    "Cancel reply",
    "Your email address will not be published.",
    "Your email address will not be published. Required fields are marked *",
}
COMMENT_COUNTER = re.compile(r"^(?:(\d+)|One|No) (?:Comments?|Responses?|Replies)\b.*$")
WIX_AD = re.compile(r"^Ad for subscribing to (?P<site>.+?)\.?$")
POLICY_HEADING = "Discussion Policy"
# "Asbarez reserves the right to block users…": the posted policy names its site.
POLICY_SITE = re.compile(r"(?:^|[.!?]\s+)(?P<site>[A-Z][\w&'’. -]{0,60}?) reserves the right\b")
# "[^()]": a caption's parentheses hold no others, and each "(Photo:" is read only up to the
# next "(", so a line of many unclosed "(Photo:" costs its length, not its square.
PHOTO_CAPTION = re.compile(r"\((?:Photo|Image|Photograph)s?(?: by)?:[^()]*\)\s*$|^(?:Photo|Image):")
BYLINE_LABEL = re.compile(r"^(?:By|Columnist|Author|Editor)\s+(?P<name>\S.{0,80})$")

# Comment markers: "  1. " (top level, numbered), "    • " (a reply, one level per 2 spaces).
MARKER = re.compile(r"^(?P<indent> +)(?:(?P<number>\d+)\.|(?P<bullet>•))(?: (?P<rest>.*))?$")
AUTHOR_LINE = re.compile(r"^(?P<name>\S.{0,119}?) said:$")
# The first paragraph is a deck (subtitle) when it is one short line that is not a sentence.
SENTENCE_END = re.compile(r"[.!?:;…][\"'”’)\]]*$")
# A capture cut off mid-text stops without a line break, in a word or after a comma; a
# finished text ends with punctuation, a closing quote or bracket, an emoji, a date.
CUT_OFF_END = re.compile(r"[^\W\d_],?$|,$")
DECK_MAX_LENGTH = 200


@dataclass
class _Line:
    number: int  # 1-based, as an editor shows it
    text: str  # trailing whitespace removed

    @property
    def indent(self) -> int:
        return len(self.text) - len(self.text.lstrip(" "))

    @property
    def blank(self) -> bool:
        return not self.text.strip()


def parse_page(text: str, *, key: str, site_name: str | None = None) -> ParsedSource:
    """Parse one page capture. `key` identifies the article within its site (the file name)."""
    lines = [
        _Line(n, raw.rstrip())
        for n, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1)
    ]
    if all(line.blank for line in lines):
        raise ImportFailure("the capture is empty", line=1)
    if any("\x00" in line.text for line in lines):
        bad = next(line for line in lines if "\x00" in line.text)
        raise ImportFailure("binary data (a NUL byte) in a text capture", line=bad.number)

    parsed = ParsedSource(source=SOURCE_PAGE, site_name=None)
    cut = not text.endswith(("\n", "\r"))  # the capture may stop mid-line
    content = []
    for line in lines:
        stripped = line.text.strip()
        ad = WIX_AD.match(stripped)
        if stripped in CHROME_LINES or ad:
            parsed.skipped.append(Skipped(f"line {line.number}", "chrome", stripped))
            if ad:
                parsed.site_name = ad["site"]
        else:
            content.append(line)

    comments_at, comment_style = _find_comments(content)
    article_lines = content[:comments_at]
    comment_lines = content[comments_at:]

    policy_at = next(
        (i for i, line in enumerate(article_lines) if line.text.strip() == POLICY_HEADING), None
    )
    if policy_at is not None:
        _read_policy(
            article_lines[policy_at + 1 :], parsed, ends_mid_line=cut and not comment_lines
        )
        article_lines = article_lines[:policy_at]
        parsed.skipped.append(
            Skipped(f"line {content[policy_at].number}", "policy", POLICY_HEADING)
        )
    if site_name:
        parsed.site_name = site_name

    article = _parse_article(article_lines, key=key, skipped=parsed.skipped)
    if comment_style == "wordpress":
        article.comments = _parse_wordpress_comments(comment_lines, parsed.warnings)
        _check_thread_end(article.comments, comment_lines, parsed, ends_mid_line=cut)
    elif comment_style == "wix":
        article.comments = _parse_wix_comments(comment_lines, skipped=parsed.skipped)
    article.comments = [_within_bounds(c, parsed.warnings) for c in article.comments]
    article.comments = _content_keys(article.comments)
    parsed.articles.append(article)
    parsed.skipped.sort(key=lambda s: int(s.where.split()[-1]))
    return parsed


def _read_policy(lines: list[_Line], parsed: ParsedSource, *, ends_mid_line: bool) -> None:
    """The discussion policy: the unindented paragraphs after its heading. Indented lines
    there are no policy (a comment list the parser could not read, a comment cut off) and a
    policy cut off by the end of the capture is not the site's policy: both are reported and
    left out, so the site's posted policy never changes from a broken capture."""
    policy, stray = [], []
    for line in lines:
        (stray if line.indent and not line.blank else policy).append(line)
    if stray:
        parsed.warnings.append(
            Notice(
                f"line {stray[0].number}",
                f"{len(stray)} indented line(s) after the discussion policy are neither policy "
                f"nor a comment this parser can read: left out ({stray[0].text.strip()[:60]!r})",
            )
        )
    paragraphs = _paragraphs(policy)
    text = "\n\n".join("\n".join(line.text.strip() for line in para) for para in paragraphs)
    if text and ends_mid_line and not stray and CUT_OFF_END.search(text):
        parsed.warnings.append(
            Notice(
                f"line {paragraphs[-1][-1].number}",
                "the capture ends inside the discussion policy (cut off?): its policy text is "
                "left out and the site's policy left as it is",
            )
        )
        return
    parsed.policy_text = text
    found = POLICY_SITE.search(text)
    if found and not parsed.site_name:
        parsed.site_name = found["site"].strip()


def _check_thread_end(
    comments: list[CommentRecord], lines: list[_Line], parsed: ParsedSource, *, ends_mid_line
) -> None:
    """A WordPress thread ends with the reply form ("Leave a Reply"), which the chrome filter
    has taken out before `lines` were made. A capture whose thread runs to its last line may
    have been cut off: its last comment is left out when it visibly stops mid-text (no text
    at all, or the capture stops mid-line in a word), and otherwise kept with a warning that
    later comments may be missing."""
    if not comments:
        return
    end = next(line.number for line in reversed(lines) if not line.blank)
    if any(s.kind == "chrome" and int(s.where.split()[-1]) > end for s in parsed.skipped):
        return  # the reply form (or other page chrome) follows the thread: it is complete
    last = comments[-1]
    if not last.body_text.strip() or (ends_mid_line and CUT_OFF_END.search(last.body_text)):
        comments.pop()
        how = (
            f"which stops mid-text (…{last.body_text[-40:]!r})"
            if last.body_text.strip()
            else "which has no text"
        )
        parsed.warnings.append(
            Notice(
                f"line {last.line}",
                f"the capture ends inside comment {last.position}, {how}: cut off, left out",
            )
        )
        return
    parsed.warnings.append(
        Notice(
            f"line {end}",
            f"the capture ends with comment {last.position} and no reply form after the "
            "thread: if it was cut off, later comments are missing",
        )
    )


def _content_keys(comments: list[CommentRecord]) -> list[CommentRecord]:
    """Key each comment by what it says and who said it, not by where the page put it."""
    keys: dict[str, str] = {}  # position -> content key
    seen: dict[str, int] = {}
    keyed = []
    for comment in comments:
        digest = hashlib.sha256(f"{comment.author or ''}\0{comment.body_text}".encode()).hexdigest()
        base = f"c-{digest[:16]}"
        seen[base] = seen.get(base, 0) + 1
        keys[comment.position] = base if seen[base] == 1 else f"{base}-{seen[base]}"
        parent = keys[comment.parent_key] if comment.parent_key is not None else None
        keyed.append(replace(comment, key=keys[comment.position], parent_key=parent))
    return keyed


def _paragraphs(lines: list[_Line]) -> list[list[_Line]]:
    """Split lines into paragraphs at blank lines (a run of blanks is one break)."""
    paragraphs, current = [], []
    for line in lines:
        if line.blank:
            if current:
                paragraphs.append(current)
                current = []
        else:
            current.append(line)
    if current:
        paragraphs.append(current)
    return paragraphs


def _find_comments(content: list[_Line]) -> tuple[int, str | None]:
    """Where the comment section starts in `content`, and its shape.

    WordPress: the first comment marker after which every line is indented, when a `  1. `
    marker follows (a numbered list in the article body is followed by unindented body
    text, so it never qualifies).
    Wix: a comment counter line ("1 Comment"), the comments following it.
    """
    all_indented_from = len(content)
    for i in range(len(content) - 1, -1, -1):
        if not content[i].blank and content[i].indent == 0:
            break
        all_indented_from = i
    first_marker = None
    for i in range(all_indented_from, len(content)):
        found = MARKER.match(content[i].text)
        if first_marker is None and _is_marker(found):
            first_marker = i  # replies before the first numbered comment belong to the thread
        if found and found["number"] and len(found["indent"]) == 2:
            return first_marker, "wordpress"
    for i, line in enumerate(content):
        if COMMENT_COUNTER.match(line.text.strip()):
            return i, "wix"
    return len(content), None


def _parse_article(lines: list[_Line], *, key: str, skipped: list[Skipped]) -> ArticleRecord:
    """Title, byline, deck and body from the article part of the page."""
    paragraphs = _paragraphs(lines)
    if not paragraphs:
        raise ImportFailure("no article title found", line=1)
    flat = [line for para in paragraphs for line in para]
    title_line = flat[0]
    title = title_line.text.strip()

    drop: dict[int, str] = {}  # line number -> why it is not body
    drop[title_line.number] = "title"
    for line in flat[1:]:
        if line.text.strip() == title:
            drop[line.number] = "repeated title"

    # Photo captions: marked "(Photo: …)", or printed more than once (image alt + caption).
    counts: dict[str, int] = {}
    for line in flat:
        counts[line.text.strip()] = counts.get(line.text.strip(), 0) + 1

    byline, author_bio = _find_byline(paragraphs, title_line, drop, counts)
    _drop_captions(flat, drop, counts, byline)

    body_paragraphs = []
    for para in paragraphs:
        kept = [line for line in para if line.number not in drop]
        if kept:
            body_paragraphs.append(kept)
    for number, kind in sorted(drop.items()):
        text = next(line.text.strip() for line in flat if line.number == number)
        skipped.append(Skipped(f"line {number}", kind, text))

    deck, body_paragraphs = _split_deck(body_paragraphs)
    body = "\n\n".join("\n".join(line.text.strip() for line in p) for p in body_paragraphs)
    return ArticleRecord(
        key=key, title=title, deck=deck, byline=byline, author_bio=author_bio, body=body
    )


def _drop_captions(flat, drop, counts, byline) -> None:
    """Mark as captions the lines marked "(Photo: …)" and the short ones printed more than
    once, leaving alone the lines already dropped and the byline."""
    for line in flat:
        stripped = line.text.strip()
        if line.number in drop or stripped == byline:
            continue
        if PHOTO_CAPTION.search(stripped) or (counts[stripped] > 1 and len(stripped) <= 300):
            drop[line.number] = "caption"


def _split_deck(body_paragraphs: list[list[_Line]]) -> tuple[str, list[list[_Line]]]:
    """The deck (the first paragraph, when it is a deck) and the paragraphs after it."""
    if body_paragraphs:
        first = body_paragraphs[0]
        text = first[0].text.strip()
        if len(first) == 1 and len(text) <= DECK_MAX_LENGTH and not SENTENCE_END.search(text):
            return text, body_paragraphs[1:]
    return "", body_paragraphs


def _find_byline(paragraphs, title_line, drop, counts) -> tuple[str, str]:
    """The author's name, from a labelled byline under the title ("Columnist Harut Sassounian",
    then the name alone, once or more) or from an author box after the body (the name, a line
    such as "California Courier Editor", and a bio opening with the name)."""
    name = _labelled_byline(_header(paragraphs, title_line, drop), drop)
    if name is not None:
        return name, ""
    return _author_box(paragraphs, drop)


def _header(paragraphs, title_line, drop) -> list[_Line]:
    """The short lines between the title and the first paragraph of prose."""
    header = []
    for para in paragraphs:
        for line in para:
            if line is title_line or line.number in drop:
                continue
            if len(line.text.strip()) > 100:
                return header
            header.append(line)
    return header


def _labelled_byline(header, drop) -> str | None:
    """The name of a labelled byline ("Columnist Harut Sassounian") whose name the header
    also gives alone; the labelled line and those with the name alone are marked as byline."""
    for line in header:
        labelled = BYLINE_LABEL.match(line.text.strip())
        if labelled:
            name = labelled["name"].strip()
            if any(other.text.strip() == name for other in header):
                drop[line.number] = "byline"
                for other in header:
                    if other.text.strip() == name:
                        drop[other.number] = "byline"
                return name
    return None


def _author_box(paragraphs, drop) -> tuple[str, str]:
    """The name and bio of an author box: a name alone in its paragraph (short, not a
    sentence), and within the next three lines a bio opening with it ("Name is …"). The name
    is marked as byline, the lines after it up to the bio as author box."""
    for i, para in enumerate(paragraphs[:-1]):
        if len(para) != 1 or para[0].number in drop:
            continue
        name = para[0].text.strip()
        if len(name) > 60 or SENTENCE_END.search(name):
            continue
        box = [line for p in paragraphs[i + 1 : i + 3] for line in p]
        bio_at = next(
            (j for j, line in enumerate(box) if line.text.strip().startswith(f"{name} is ")), None
        )
        if bio_at is not None and bio_at <= 2:
            drop[para[0].number] = "byline"
            for line in box[: bio_at + 1]:
                drop[line.number] = "author box"
            return name, "\n".join(line.text.strip() for line in box[: bio_at + 1])
    return "", ""


def _comment_text(lines: list[_Line], indent: int) -> str:
    """A comment's text: its lines less the comment's indentation, paragraphs kept."""
    dedented = [_Line(line.number, line.text[min(line.indent, indent) :]) for line in lines]
    return "\n\n".join("\n".join(line.text for line in para) for para in _paragraphs(dedented))


def _within_bounds(comment: CommentRecord, warnings: list[Notice]) -> CommentRecord:
    """A comment no longer than a WordPress comment can be (a longer one is a capture that
    ran page text into it), and its HTML within what sanitizing handles in bounded time
    (thousands of lines lose their line breaks past the cap), each cut a warning."""
    text, cut = truncate(comment.body_text, COMMENT_MAX_BYTES)
    bounded = bound(text_to_html(text))
    cuts = ([f"{cut}, the most a WordPress comment holds"] if cut else []) + list(bounded.cuts)
    for problem in cuts:
        warnings.append(Notice(f"line {comment.line}", f"comment {comment.position}: {problem}"))
    if not cuts:
        return comment
    return replace(comment, body_text=text, body_html=sanitize(bounded.markup))


def _record(position, parent_key, author, text, line) -> CommentRecord:
    return CommentRecord(
        key=position,
        position=position,
        parent_key=parent_key,
        author=author,
        body_text=text,
        body_html=sanitize(text_to_html(text)),
        line=line,
    )


def _is_marker(found: re.Match | None) -> bool:
    """A comment's first line: `  2. ` at the top level, `    • ` for a reply."""
    return bool(found) and bool(
        (found["number"] and len(found["indent"]) == 2)
        or (found["bullet"] and len(found["indent"]) >= 4 and len(found["indent"]) % 2 == 0)
    )


def _parse_wordpress_comments(lines: list[_Line], warnings: list[Notice]) -> list[CommentRecord]:
    # Group lines into (marker line, following lines) before reading any of them.
    groups: list[tuple[_Line, re.Match, list[_Line]]] = []
    for line in lines:
        found = MARKER.match(line.text)
        if _is_marker(found):
            groups.append((line, found, []))
        elif groups:
            groups[-1][2].append(line)
        elif not line.blank:
            raise ImportFailure("text before the first comment marker", line=line.number)

    records: list[CommentRecord] = []
    path: list[CommentRecord] = []  # the open comment at each depth
    replies: dict[str, int] = {}  # position -> replies seen so far
    last_number: int | None = None
    for marker, found, rest in groups:
        depth = (len(found["indent"]) - 2) // 2
        if last_number is None and not found["number"]:
            # A page of a paginated thread can open with replies to comments on the page
            # before: there is nothing here they answer.
            warnings.append(
                Notice(
                    f"line {marker.number}",
                    "a reply before the first numbered comment, answering no comment on this "
                    f"page: left out ({(found['rest'] or '').strip()[:60]!r})",
                )
            )
            continue
        if found["number"]:
            number = int(found["number"])
            if last_number is not None and number <= last_number:
                raise ImportFailure(
                    f"comment number {number} follows comment {last_number}; "
                    "top-level comments must be numbered in increasing order",
                    line=marker.number,
                )
            last_number = number
            position, parent = str(number), None
        else:
            if depth > len(path):
                raise ImportFailure(
                    "a reply indented deeper than any comment it could answer",
                    line=marker.number,
                )
            parent = path[depth - 1]
            replies[parent.position] = replies.get(parent.position, 0) + 1
            position = f"{parent.position}.{replies[parent.position]}"

        first = (found["rest"] or "").strip()
        author_line = AUTHOR_LINE.match(first)
        if author_line and (not rest or rest[0].blank):
            author, text_lines = author_line["name"].strip(), rest
        else:
            author = None
            text_lines = [_Line(marker.number, " " * (len(found["indent"]) + 2) + first), *rest]
        text = _comment_text(text_lines, len(found["indent"]) + 2)
        record = _record(position, parent.key if parent else None, author, text, marker.number)
        records.append(record)
        path[depth:] = [record]
    return records


def _parse_wix_comments(lines: list[_Line], *, skipped: list[Skipped]) -> list[CommentRecord]:
    counter, rest = lines[0], lines[1:]
    skipped.append(Skipped(f"line {counter.number}", "chrome", counter.text.strip()))
    found = COMMENT_COUNTER.match(counter.text.strip())
    expected = int(found[1]) if found[1] else (1 if counter.text.startswith("One") else 0)
    paragraphs = _paragraphs(rest)
    if expected == 0 and not paragraphs:
        return []
    if expected == 1 and paragraphs:
        # One comment: everything after the counter, its paragraph breaks included.
        chunks = [[line for line in rest if line.number >= paragraphs[0][0].number]]
    elif expected == len(paragraphs):
        chunks = paragraphs
    else:
        chunks = None
    if not chunks or len(chunks) != expected:
        raise ImportFailure(
            f"the page says {counter.text.strip()!r} but the capture has "
            f"{len(paragraphs)} paragraph(s) after it; cannot tell where each comment ends",
            line=counter.number,
        )
    return [
        _record(str(n), None, None, _comment_text(chunk, 0), chunk[0].number)
        for n, chunk in enumerate(chunks, 1)
    ]

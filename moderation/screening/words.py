"""Matching word lists against a comment's text.

A term is a word or a few (`shut up`), optionally ending in `*` for "and any ending"
(`idiot*` matches idiots, idiotic). Matching is whole-word, so the Scunthorpe problem does
not arise (`ass` is not found in class, assess or Scunthorpe), and it sees through what
commenters do to slip past a list:

- case and accents (`ÍDIOT`), by comparing a folded copy of the text of the same length,
  so every match is a span of the original text (offsets in characters, as tags keep them);
- look-alike digits and signs (`a$$`, `sh1t`, `@sshole`, `id10t`) and a masked vowel
  (`f*ck`, `b#tch`);
- letters repeated for emphasis (`fuuuuck`, `idiooot`).

Compiled once per list (one regular expression, a named group per term), then a single scan
per comment: tens of microseconds for a comment of a few hundred characters.
"""

import re
import unicodedata
from dataclasses import dataclass

BANNED, SUSPECT = "banned", "suspect"
KINDS = (BANNED, SUSPECT)

# What may stand for a letter: itself, look-alikes, and for a vowel a masking sign.
MASKS = "*#%"
LOOK_ALIKES = {
    "a": "@4" + MASKS,
    "e": "3" + MASKS,
    "i": "1!|" + MASKS,
    "o": "0" + MASKS,
    "u": "v" + MASKS,
    "s": "$5z",
    "t": "7+",
    "l": "1|",
    "b": "8",
    "g": "9",
}
# Characters that belong to a word for the whole-word test: letters, digits, and the signs
# above (so `a$$` is one word, and `$` does not end it).
SIGNS = r"@$*#%!|+"
WORD_CHARS = r"\w" + SIGNS
TERM = re.compile(r"^[\w' -]+\*?$", re.UNICODE)


@dataclass(frozen=True)
class Term:
    category: str  # a category's slug
    kind: str  # BANNED or SUSPECT
    text: str  # as written in the list, e.g. "idiot*"

    @property
    def prefix(self) -> bool:
        return self.text.endswith("*")


@dataclass(frozen=True)
class Match:
    start: int  # in characters of the original text
    end: int
    term: Term
    quoted: str  # the text matched, as written


def fold(text: str) -> str:
    """The text in lower case without accents, one character for each of the original's (a
    character that would become several keeps its first), so offsets carry over."""
    out = []
    for char in text:
        base = unicodedata.normalize("NFKD", char)[:1] or char
        lowered = base.lower()
        out.append(lowered[0] if lowered else base)
    return "".join(out)


def check_term(text: str) -> str:
    """A term as it is kept: trimmed, folded, single-spaced; ValueError naming the problem."""
    term = " ".join(fold(text.strip()).split())
    if not term or term == "*":
        raise ValueError("An empty term matches nothing.")
    if not TERM.match(term):
        raise ValueError(
            f"“{text.strip()}”: a term is letters, digits, spaces, hyphens or apostrophes, "
            "optionally ending in * (any ending)."
        )
    if len(term.rstrip("*").replace(" ", "")) < 2:
        raise ValueError(f"“{text.strip()}” is too short to match safely.")
    return term


def _letter(char: str) -> str:
    if char == " ":
        return r"[\s\-_.]+"  # "shut up", "shut-up", "shut.up"
    alikes = LOOK_ALIKES.get(char, "")
    return f"[{re.escape(char + alikes)}]+"  # repeated for emphasis: fuuuck


def _pattern(term: Term) -> str:
    body = "".join(_letter(c) for c in term.text.rstrip("*"))
    # A prefix takes any ending (signs inside it included); a whole word ends where no
    # letter or digit follows, nor signs then one (`ass!` ends at the `!`, `a$$h0le` does
    # not end after `a$$`).
    any_ending, word_ends = rf"(?:\w|[{SIGNS}]+\w)*", rf"(?!\w|[{SIGNS}]+\w)"
    ending = any_ending if term.prefix else word_ends
    return f"(?<![{WORD_CHARS}]){body}{ending}"


class Matcher:
    """A compiled word list: `find(text)` gives every match, leftmost first, not overlapping
    (a longer term wins where two start at the same place); a term listed under several
    categories gives a match for each."""

    def __init__(self, terms: list[Term]):
        by_text: dict[str, list[Term]] = {}
        for term in sorted(set(terms), key=lambda t: (t.category, t.kind)):
            by_text.setdefault(term.text, []).append(term)
        # Longest first, so "asshole" is tried before "ass" at the same place.
        self.texts = sorted(by_text, key=lambda text: (-len(text), text))
        self.terms = [by_text[text] for text in self.texts]
        self._regex = None
        if self.texts:
            alternatives = (f"(?P<t{i}>{_pattern(group[0])})" for i, group in enumerate(self.terms))
            self._regex = re.compile("|".join(alternatives))

    def find(self, text: str) -> list[Match]:
        if self._regex is None or not text:
            return []
        matches = []
        for found in self._regex.finditer(fold(text)):
            start, end = found.span()
            for term in self.terms[int(found.lastgroup[1:])]:
                matches.append(Match(start, end, term, text[start:end]))
        return matches

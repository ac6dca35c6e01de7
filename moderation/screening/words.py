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
from functools import lru_cache

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
TERM = re.compile(r"^(?:[^\W_]|[' -])+\*?$", re.UNICODE)


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


class _FoldTable(dict):
    """str.translate's table for `fold`, filled one character at a time as texts need it
    (a few hundred distinct characters in practice), so folding runs at C speed."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        base = unicodedata.normalize("NFKD", char)[:1] or char
        lowered = base.lower()
        folded = lowered[0] if lowered else base
        self[code] = folded
        return folded


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """The text in lower case without accents, one character for each of the original's (a
    character that would become several keeps its first), so offsets carry over."""
    if text.isascii():
        return text.lower()  # the same length, and the common case
    return text.translate(_FOLD)


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


# What the quick look (`Matcher._candidates`) reads a text as: each sign as the letter it may
# stand for (where a sign stands for two letters, the terms are read the same way: "l" as
# "i"), letters repeated for emphasis once, so that a word a term could match is that term's
# own reading, or starts with it.
_READING = str.maketrans(
    {"@": "a", "4": "a", "3": "e", "1": "i", "!": "i", "|": "i", "l": "i", "0": "o",
     "v": "u", "$": "s", "5": "s", "z": "s", "7": "t", "+": "t", "8": "b", "9": "g",
     "_": " "}
)  # fmt: skip
_REPEATS = re.compile(r"(.)\1+")
_WORDS = re.compile(rf"[{WORD_CHARS}]+")
_MASKED = re.compile(f"[{re.escape(MASKS)}]")
_TERM_PARTS = re.compile(r"[\s'\-]+")
_SIGN_AT_END = re.compile(rf"[{re.escape(SIGNS)}]+(?!\w)")


def _reading(word: str) -> str:
    return _REPEATS.sub(r"\1", word.translate(_READING))


class Matcher:
    """A compiled word list: `find(text)` gives every match, leftmost first, not overlapping
    (a longer term wins where two start at the same place); a term listed under several
    categories gives a match for each.

    Most comments break no list: a quick look at the text's words (`_candidates`: each read
    as `_reading` reads it, looked up in dicts) says which terms could match at all, and only
    those are tried (none, most often), instead of every term at every position. The look
    is at least as lenient as the expression: it never drops a term that would match (a
    property test compares the two on disguised terms)."""

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
        # The quick look: each term's reading as a whole word, or as the start of one (by
        # length), to the terms that read so (by index); a phrase by all its words.
        self._whole: dict[str, set[int]] = {}
        self._starts: dict[int, dict[str, set[int]]] = {}
        self._phrases: list[tuple[int, frozenset[str], str]] = []
        for i, text in enumerate(self.texts):
            # Split where the text's words split: spaces, hyphens, apostrophes.
            words = [_reading(word) for word in _TERM_PARTS.split(text.rstrip("*")) if word]
            if len(words) > 1:
                *whole, last = words
                if not text.endswith("*"):
                    whole, last = [*whole, last], ""
                self._phrases.append((i, frozenset(whole), last))
            elif text.endswith("*"):
                self._starts.setdefault(len(words[0]), {}).setdefault(words[0], set()).add(i)
            else:
                self._whole.setdefault(words[0], set()).add(i)
        self._everything = frozenset(range(len(self.texts)))
        self._phrase_words = {w for _, needed, _ in self._phrases for w in needed}
        self._phrase_ends = {last for _, _, last in self._phrases if last}
        self._prefixes = sorted((p for group in self._starts.values() for p in group), key=len)
        # word as written (folded) -> (the terms it may stand for, the phrase words it
        # reads as): words repeat, so most of a comment is dictionary hits.
        self._seen: dict[str, tuple[frozenset[int], frozenset[str]]] = {}

    WORDS_KEPT = 300_000

    def _word(self, word: str) -> tuple[frozenset[int], frozenset[str]]:
        """What one word of a text may stand for (see `_candidates`), worked out once."""
        known = self._seen.get(word)
        if known is not None:
            return known
        terms: set[int] = set()
        parts: set[str] = set()
        # A word may end in signs that are punctuation there ("ass!"), or letters ("shi+!"
        # is "shit" and "!"): read with every tail of its closing signs dropped.
        bare = word.rstrip(SIGNS)
        for read in {_reading(word[:end]) for end in range(len(bare), len(word) + 1)}:
            for piece in read.split():  # "_" reads as a space: "shut_up" is two words
                terms |= self._whole.get(piece, set())
                for prefix in self._prefixes:
                    if piece.startswith(prefix):
                        terms |= self._starts[len(prefix)][prefix]
                if piece in self._phrase_words:
                    parts.add(piece)
                parts.update(f"*{end}" for end in self._phrase_ends if piece.startswith(end))
        known = (frozenset(terms), frozenset(parts))
        if len(self._seen) >= self.WORDS_KEPT:
            self._seen.clear()
        self._seen[word] = known
        return known

    def _candidates(self, folded: str) -> frozenset[int]:
        """The terms that may match somewhere in the text (by index): those whose reading
        one of its words has (a phrase: all of them); every term if a letter is masked
        (f*ck)."""
        if _MASKED.search(folded):
            return self._everything  # only the expression can tell
        found: set[int] = set()
        parts: set[str] = set()
        word = self._word
        for each in set(_WORDS.findall(folded)):
            terms, pieces = word(each)
            if terms:
                found |= terms
            if pieces:
                parts |= pieces
        if parts:
            for i, needed, last in self._phrases:
                if needed <= parts and (not last or f"*{last}" in parts):
                    found.add(i)
        return frozenset(found)

    @lru_cache(maxsize=256)  # noqa: B019 (a matcher lives as long as its list version)
    def _expression(self, candidates: frozenset[int]) -> re.Pattern:
        """The alternation of the candidate terms only, in the same order as the whole
        list's: it finds what the whole one would (a term that cannot match changes
        nothing), trying a few terms at each place instead of every one."""
        if candidates == self._everything:
            return self._regex
        alternatives = (f"(?P<t{i}>{_pattern(self.terms[i][0])})" for i in sorted(candidates))
        return re.compile("|".join(alternatives))

    def find(self, text: str) -> list[Match]:
        if self._regex is None or not text:
            return []
        folded = fold(text)
        candidates = self._candidates(folded)
        if not candidates:
            return []
        matches = []
        for found in self._expression(candidates).finditer(folded):
            start, end = found.span()
            for term in self.terms[int(found.lastgroup[1:])]:
                matches.append(Match(start, end, term, text[start:end]))
        return matches

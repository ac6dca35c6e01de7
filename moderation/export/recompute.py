"""Agreement between moderators, recomputed from an export's files: Krippendorff's alpha
(nominal) per category and Cohen's kappa per category and pair of moderators, each with a 95 %
percentile bootstrap interval over comments.

    python agreement.py DIR           # DIR: the unzipped bundle (labels, comments .csv)
    python agreement.py --json DIR    # the same figures as JSON

Needs Python 3 and numpy, nothing else. In the dashboard's source this file is
moderation/export/recompute.py; the bundle ships it as agreement.py. The dashboard computes its
figures with the very classes below (moderation/agreement.py loads this file), so for the same
comments this script prints the same numbers: same statistics, same seed, same draws, patterns
in the same order. numpy does not promise the same random stream in every version: with
another numpy than the dashboard's (printed with the figures), an interval may differ in its
last digits; the values themselves do not depend on it.

Method. A unit is a comment. For alpha, a comment coded by m >= 2 moderators is summarised by
its pattern, the sorted (label, count) pairs of its labels; for kappa, a comment both coded is
a cell (label of A, label of B). Labels are nominal with few values (0/1), so a figure keeps a
count per pattern (or cell) and its memory does not grow with the number of comments. A
bootstrap draw takes N comments with replacement from the N observed: a multinomial draw of N
over the patterns with probabilities count / N (`numpy.random.default_rng(BOOTSTRAP_SEED)`,
BOOTSTRAP_DRAWS draws, a fresh generator for every figure, patterns sorted). Each draw's figure
is computed from its pattern counts, all draws at once. A draw in which the figure is undefined
(no variation) is left out, and how many were is kept (`Figure.undefined_draws`); the interval
is the 2.5th and 97.5th percentiles of the rest (numpy's default, linear interpolation). No
interval when the figure is undefined or rests on fewer than 2 comments; a figure on fewer than
MIN_ITEMS comments is marked too few to cite.

Both statistics are checked (tests/moderation/test_agreement.py) against published worked
examples: Krippendorff, "Computing Krippendorff's Alpha-Reliability" (2011); Cohen, "A
coefficient of agreement for nominal scales" (1960).
"""

# No Django, no import of the dashboard: this file runs on its own. Annotations stay text
# (the future import) and nothing newer than Python 3.9 is used, for a researcher's Python.
from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from itertools import combinations, groupby
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping

    # A unit's pattern, ((label, count), ...) sorted by label, or a kappa cell (label A, label B)
    Pattern = tuple
    # Figures for each row of a (draws x patterns) array of counts, NaN where undefined
    Statistic = Callable[[np.ndarray], np.ndarray]

BOOTSTRAP_SEED = 20_261_128
BOOTSTRAP_DRAWS = 1000
LEVEL = 0.95
PERCENTILES = (2.5, 97.5)  # the interval's ends, for LEVEL
MIN_ITEMS = 30  # below this many comments a figure is "too few to cite"

NO_PAIRABLE = "no comment was reviewed by two or more moderators"
NO_SHARED = "no comment reviewed by both"
NO_DESIGNED = "no designed overlap: comments.csv marks no comment with a sample reason"


@dataclass(frozen=True)
class Figure:
    """One agreement figure: its value (None when undefined, with the reason in words), the
    number of items (comments) it rests on, and its bootstrap interval [low, high] (None
    when the value is undefined or rests on fewer than 2 items) with the number of draws
    left out because the figure was undefined in them."""

    value: float | None
    items: int
    reason: str = ""
    low: float | None = None
    high: float | None = None
    undefined_draws: int = 0

    @property
    def too_few(self) -> bool:
        """Fewer than MIN_ITEMS items: too few to cite, whatever the value."""
        return self.items < MIN_ITEMS

    def as_dict(self) -> dict:
        return {
            "value": _rounded(self.value),
            "items": self.items,
            "reason": self.reason or None,
            "low": _rounded(self.low),
            "high": _rounded(self.high),
            "undefined_draws": self.undefined_draws,
            "too_few": self.too_few,
        }


def _rounded(number: float | None) -> float | None:
    return None if number is None else round(number, 6)


# The statistics, from pattern counts: `counts` is (draws x patterns), one row per draw


def alpha_statistic(patterns: list[Pattern]) -> Statistic:
    """Alpha for each row of pattern counts, NaN where undefined (no variation).

    A unit with m values, n_u(c) of value c, adds n_u(c) to the value total n_c and
    (m^2 - sum_c n_u(c)^2) / (m - 1) to the observed disagreement D_o (its coincidences
    o_ck, c != k, are n_u(c) n_u(k) / (m - 1)). With n = sum_c n_c:

        alpha = 1 - (n - 1) D_o / (n^2 - sum_c n_c^2)

    Sums over patterns are of integers (D_o's numerators gathered per m, divided last), so
    no floating-point summation order, which could differ between machines, enters.
    """
    values = sorted({value for pattern in patterns for value, _ in pattern})
    sizes = sorted({sum(count for _, count in pattern) for pattern in patterns})
    totals = np.zeros((len(patterns), len(values)), dtype=np.int64)
    disagreeing = np.zeros((len(patterns), len(sizes)), dtype=np.int64)  # by m: m^2 - sum n^2
    for row, pattern in enumerate(patterns):
        m = sum(count for _, count in pattern)
        for value, count in pattern:
            totals[row, values.index(value)] = count
        disagreeing[row, sizes.index(m)] = m * m - sum(count * count for _, count in pattern)

    def alpha(counts: np.ndarray) -> np.ndarray:
        n_c = counts @ totals
        n = n_c.sum(axis=1)
        expected = n * n - (n_c * n_c).sum(axis=1)
        by_size = counts @ disagreeing
        observed = np.zeros(len(counts))
        for column, m in enumerate(sizes):
            observed = observed + by_size[:, column] / (m - 1)
        defined = expected > 0
        return np.where(defined, 1 - (n - 1) * observed / np.where(defined, expected, 1), np.nan)

    return alpha


def kappa_statistic(cells: list[Pattern]) -> Statistic:
    """Kappa for each row of cell counts, NaN where undefined (both gave one label only).

    p_o = share of items on which they agree; p_e = sum over labels v of P(A says v) *
    P(B says v); kappa = (p_o - p_e) / (1 - p_e).
    """
    values = sorted({value for cell in cells for value in cell})
    first = np.zeros((len(cells), len(values)), dtype=np.int64)
    second = np.zeros((len(cells), len(values)), dtype=np.int64)
    for row, (a, b) in enumerate(cells):
        first[row, values.index(a)] = 1
        second[row, values.index(b)] = 1
    agree = np.array([a == b for a, b in cells], dtype=np.int64)

    def kappa(counts: np.ndarray) -> np.ndarray:
        n = counts.sum(axis=1)
        chance = ((counts @ first) * (counts @ second)).sum(axis=1)  # p_e * n^2, an integer
        defined = chance < n * n
        observed = (counts @ agree) / n
        expected = chance / (n * n)
        return np.where(defined, (observed - expected) / np.where(defined, 1 - expected, 1), np.nan)

    return kappa


def bootstrap(
    statistic: Statistic,
    counts: np.ndarray,
    draws: int = BOOTSTRAP_DRAWS,
    seed: int = BOOTSTRAP_SEED,
) -> tuple[float | None, float | None, int]:
    """(low, high, undefined draws): the percentile interval of `statistic` over `draws`
    resamplings of the N units, each a multinomial draw of N over the patterns."""
    units = int(counts.sum())
    drawn = np.random.default_rng(seed).multinomial(units, counts / units, size=draws)
    values = statistic(drawn)
    defined = values[~np.isnan(values)]
    if not defined.size:
        return None, None, draws
    low, high = np.percentile(defined, PERCENTILES)
    return float(low), float(high), draws - int(defined.size)


def estimate(
    statistic: Statistic, counts: np.ndarray, interval: bool = True
) -> tuple[float | None, float | None, float | None, int]:
    """(value, low, high, undefined draws) for the observed pattern counts; without
    `interval`, the value alone (low and high None)."""
    (value,) = statistic(counts[np.newaxis, :])
    if np.isnan(value):
        return None, None, None, 0
    if counts.sum() < 2 or not interval:
        return float(value), None, None, 0
    return (float(value), *bootstrap(statistic, counts))


def unit_pattern(values: Iterable[Hashable]) -> Pattern | None:
    """A unit's labels as its pattern, the sorted (label, count) pairs; None for fewer than
    two labels, which carry nothing about agreement."""
    counts = Counter(values)
    if sum(counts.values()) < 2:
        return None
    return tuple(sorted(counts.items()))


def canonical_cells(table: Mapping[Pattern, int]) -> list[tuple[Pattern, int]]:
    """A kappa table's (cell, count) pairs, sorted, in the orientation (A, B) or (B, A) that
    sorts first: kappa is the same either way, and so then are its draws, whichever of the
    two moderators comes first (by id in the dashboard, by pseudonym in a bundle)."""
    straight = sorted((cell, count) for cell, count in table.items() if count)
    swapped = sorted(((b, a), count) for (a, b), count in table.items() if count)
    return min(straight, swapped)


# Accumulated one unit (comment) at a time


class Alpha:
    """Krippendorff's alpha for nominal data, accumulated unit by unit: a count per pattern.
    Units coded by fewer than two coders carry no information about agreement and are left
    out."""

    def __init__(self):
        self.patterns: Counter[Pattern] = Counter()

    def add(self, values: Iterable[Hashable]) -> None:
        """One unit: the values its coders gave (one per coder; missing ones left out)."""
        pattern = unit_pattern(values)
        if pattern is not None:
            self.patterns[pattern] += 1

    @property
    def units(self) -> int:
        return sum(self.patterns.values())

    def result(self) -> Figure:
        units = self.units
        if not units:
            return Figure(None, 0, NO_PAIRABLE)
        patterns = sorted(self.patterns)
        counts = np.array([self.patterns[pattern] for pattern in patterns], dtype=np.int64)
        value, low, high, undefined = estimate(alpha_statistic(patterns), counts)
        if value is None:
            only = patterns[0][0][0]
            return Figure(None, units, f"no variation: every label is {only}")
        return Figure(value, units, "", low, high, undefined)


def krippendorff_alpha(units: Iterable[Iterable[Hashable]]) -> Figure:
    """Alpha (nominal) over units, each the values its coders gave (missing values omitted)."""
    alpha = Alpha()
    for values in units:
        alpha.add(values)
    return alpha.result()


class Kappa:
    """Cohen's kappa for one pair of coders over the items both coded, accumulated item by
    item: a count per cell (label of A, label of B)."""

    def __init__(self):
        self.table: Counter[Pattern] = Counter()

    def add(self, a: Hashable, b: Hashable) -> None:
        self.table[a, b] += 1

    @property
    def items(self) -> int:
        return sum(self.table.values())

    def result(self, interval: bool = True) -> Figure:
        """The figure, with its bootstrap interval unless `interval` is false (a page that
        shows the value and n alone need not draw a thousand samples)."""
        n = self.items
        if not n:
            return Figure(None, 0, NO_SHARED)
        pairs = canonical_cells(self.table)
        cells = [cell for cell, _ in pairs]
        counts = np.array([count for _, count in pairs], dtype=np.int64)
        value, low, high, undefined = estimate(kappa_statistic(cells), counts, interval)
        if value is None:
            only = cells[0][0]
            return Figure(None, n, f"no variation: both gave every comment the label {only}")
        return Figure(value, n, "", low, high, undefined)


def cohen_kappa(pairs: Iterable[tuple[Hashable, Hashable]]) -> Figure:
    """Kappa over (label of A, label of B) for each item both coded."""
    kappa = Kappa()
    for a, b in pairs:
        kappa.add(a, b)
    return kappa.result()


class Agreement:
    """Alpha per category and kappa per category and pair of coders, fed one comment at a
    time with each reviewer's label for each category of its site."""

    def __init__(self):
        self.alpha: defaultdict[Hashable, Alpha] = defaultdict(Alpha)
        self.kappa: defaultdict[tuple[Hashable, Hashable, Hashable], Kappa] = defaultdict(Kappa)

    def add(self, labels: Mapping[Hashable, Mapping[Hashable, int]]) -> None:
        """`labels[category][coder]` = that coder's label for this comment."""
        for category, by_coder in labels.items():
            self.alpha[category].add(by_coder.values())
            for a, b in combinations(sorted(by_coder), 2):
                self.kappa[category, a, b].add(by_coder[a], by_coder[b])

    def alphas(self) -> dict[Hashable, Figure]:
        return {category: alpha.result() for category, alpha in self.alpha.items()}

    def kappas(self) -> dict[tuple[Hashable, Hashable, Hashable], Figure]:
        return {key: kappa.result() for key, kappa in self.kappa.items()}


# The script: a bundle's labels.csv and comments.csv


class OutOfOrder(Exception):
    """labels.csv does not list each comment's rows together (the export writes them so)."""


def _text(cell: str) -> str:
    """A CSV text cell as exported: a leading apostrophe guards a cell a spreadsheet would
    run as a formula (and one that begins with an apostrophe); remove one for the text."""
    return cell[1:] if cell.startswith("'") else cell


def _reader(path: Path, required: Iterable[str]) -> Iterator[dict]:
    with path.open(newline="", encoding="utf-8") as file:
        rows = csv.DictReader(file)
        missing = [name for name in required if name not in (rows.fieldnames or [])]
        if missing:
            raise SystemExit(f"{path}: no column {', '.join(missing)}")
        yield from rows


def sampled_comments(path: Path) -> set[int]:
    """The comments of the designed overlap: those whose `sample` cell is not empty. Empty
    when comments.csv has no `sample` column."""
    with path.open(newline="", encoding="utf-8") as file:
        rows = csv.DictReader(file)
        if "sample" not in (rows.fieldnames or []):
            return set()
        return {int(row["comment_id"]) for row in rows if row["sample"]}


def _labels_of(rows: Iterable[dict]) -> tuple[dict, dict]:
    """labels[(site, category)][moderator] for one comment's rows; and the designed overlap's
    independent judgements the same way, from `designed_label` (the label itself when the
    file has no such column)."""
    labels: dict = {}
    designed: dict = {}
    for row in rows:
        key = (_text(row["site"]), _text(row["category"]))
        labels.setdefault(key, {})[_text(row["moderator"])] = int(row["label"])
        independent = row.get("designed_label", row["label"])
        if independent not in ("", None):
            designed.setdefault(key, {})[_text(row["moderator"])] = int(independent)
    return labels, designed


LABEL_COLUMNS = ("comment_id", "site", "category", "moderator", "label")


def comments_in_file(path: Path) -> Iterator[tuple[int, dict, dict]]:
    """(comment id, labels) per comment, streamed: labels.csv as exported lists a comment's
    rows together, in comment id order. OutOfOrder when a comment comes back."""
    done: set[int] = set()
    rows = _reader(path, LABEL_COLUMNS)
    for comment_id, group in groupby(rows, key=lambda row: row["comment_id"]):
        number = int(comment_id)
        if number in done:
            raise OutOfOrder(comment_id)
        done.add(number)
        yield number, *_labels_of(group)


def comments_in_memory(path: Path) -> Iterator[tuple[int, dict, dict]]:
    """The same for rows in any order, read into memory first."""
    by_comment: defaultdict[int, list[dict]] = defaultdict(list)
    for row in _reader(path, LABEL_COLUMNS):
        by_comment[int(row["comment_id"])].append(row)
    for number in sorted(by_comment):
        yield number, *_labels_of(by_comment[number])


def figures(comments: Iterable[tuple[int, dict, dict]], sampled: set[int]) -> dict:
    """Alpha per category on all comments and on the designed overlap (the `sampled`
    comments, their designed labels only: the first and the blind second reviewer's as
    compared, or the blind gold reviews'), kappa per category and pair, as JSON-ready
    dicts."""
    agreement = Agreement()
    designed: defaultdict[tuple[str, str], Alpha] = defaultdict(Alpha)
    for comment_id, labels, independent in comments:
        agreement.add(labels)
        if comment_id in sampled:
            for category, by_moderator in independent.items():
                designed[category].add(by_moderator.values())
    alphas = agreement.alphas()
    return {
        "method": {
            "interval": "percentile bootstrap over comments",
            "level": LEVEL,
            "draws": BOOTSTRAP_DRAWS,
            "seed": BOOTSTRAP_SEED,
            "min_items": MIN_ITEMS,
            "numpy": np.__version__,
        },
        "alpha": [
            {
                "site": site,
                "category": category,
                "alpha_designed": _designed(designed, (site, category), sampled).as_dict(),
                "alpha": alphas[site, category].as_dict(),
            }
            for site, category in sorted(alphas)
        ],
        "kappa": [
            {
                "site": site,
                "category": category,
                "moderator_a": a,
                "moderator_b": b,
                "kappa": figure.as_dict(),
            }
            for ((site, category), a, b), figure in sorted(agreement.kappas().items())
        ],
    }


def _designed(designed: Mapping, category: tuple[str, str], sampled: set[int]) -> Figure:
    if category in designed:
        return designed[category].result()
    return Figure(None, 0, NO_PAIRABLE if sampled else NO_DESIGNED)


def _figure_text(figure: dict) -> str:
    if figure["value"] is None:
        return f"{'—':>7}  {'':17}  {figure['items']:>7}  {figure['reason'] or ''}"
    interval = "" if figure["low"] is None else f"[{figure['low']:.3f}, {figure['high']:.3f}]"
    notes = []
    if figure["too_few"]:
        notes.append("too few to cite")
    if figure["undefined_draws"]:
        notes.append(f"{figure['undefined_draws']} draws undefined, left out")
    return f"{figure['value']:7.3f}  {interval:17}  {figure['items']:>7}  {'; '.join(notes)}"


def text_report(result: dict) -> str:
    method = result["method"]
    lines = [
        f"Agreement with {method['level']:.0%} intervals: percentile bootstrap over comments, "
        f"{method['draws']} draws, seed {method['seed']}, numpy {method['numpy']}. "
        f"Fewer than {method['min_items']} comments: too few to cite.",
        "",
        "Krippendorff's alpha (nominal), per category: on the designed overlap (comments with "
        "a sample reason in comments.csv) and on all comments with two or more reviewers",
        f"{'site':20} {'category':24} {'overlap':9} {'alpha':>7}  {'95% interval':17}  {'n':>7}",
    ]
    for row in result["alpha"]:
        for overlap, key in (("designed", "alpha_designed"), ("all", "alpha")):
            lines.append(
                f"{row['site']:20} {row['category']:24} {overlap:9} {_figure_text(row[key])}"
            )
    lines += [
        "",
        "Cohen's kappa, per category and pair of moderators, on the comments both reviewed",
        f"{'site':20} {'category':24} {'moderator a':20} {'moderator b':20} "
        f"{'kappa':>7}  {'95% interval':17}  {'n':>7}",
    ]
    for row in result["kappa"]:
        lines.append(
            f"{row['site']:20} {row['category']:24} {row['moderator_a']:20} "
            f"{row['moderator_b']:20} {_figure_text(row['kappa'])}"
        )
    return "\n".join(line.rstrip() for line in lines)


def table_file(directory: Path, table: str) -> Path | None:
    """`<table>.csv` in the folder, or else its one dated copy (`<table>-2026-11-28.csv`, as
    a bundle names it); None when there is neither. SystemExit when several could be meant."""
    exact = directory / f"{table}.csv"
    if exact.exists():
        return exact
    dated = sorted(directory.glob(f"{table}-*.csv"))
    if len(dated) > 1:
        names = ", ".join(path.name for path in dated)
        raise SystemExit(f"{directory}: several {table} files ({names}); keep one")
    return dated[0] if dated else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "directory", type=Path, help="the unzipped bundle: labels.csv (or labels-DATE.csv)"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    labels = table_file(args.directory, "labels")
    if labels is None:
        parser.error(f"no labels.csv in {args.directory}")
    comments = table_file(args.directory, "comments")
    sampled = set() if comments is None else sampled_comments(comments)
    try:
        result = figures(comments_in_file(labels), sampled)
    except OutOfOrder:
        result = figures(comments_in_memory(labels), sampled)
    print(json.dumps(result, ensure_ascii=False, indent=2) if args.json else text_report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Inter-annotator agreement: Krippendorff's alpha (nominal) and Cohen's kappa, in pure Python.

Written here rather than taken from the `krippendorff` package, which is GPL-licensed. Both
statistics are checked in tests/moderation/test_agreement.py against published worked
examples:

* alpha: Krippendorff, "Computing Krippendorff's Alpha-Reliability" (2011), the binary
  example with two observers and no missing data (alpha = 0.095) and the nominal example with
  four observers, twelve units and missing values (alpha = 0.743);
* kappa: Cohen, "A coefficient of agreement for nominal scales" (1960), Table 1 (two judges,
  three categories, 200 items: p_o = .70, p_c = .41, kappa = .492), and the common textbook
  2x2 example (50 items; both yes 20, A yes/B no 5, A no/B yes 10, both no 15: kappa = 0.4).

Both are accumulated one unit (one comment) at a time, so an export computes them while
streaming, in memory that does not grow with the number of comments: alpha keeps the
coincidence matrix (values x values), kappa one contingency table per pair of coders.

A figure that cannot be computed (no unit coded by two coders, or no variation at all, which
makes the expected disagreement zero) is None, with the reason in words.
"""

from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from itertools import combinations


@dataclass(frozen=True)
class Figure:
    """One agreement figure: its value (None when undefined), why it is undefined, and the
    number of items (units, comments) it rests on."""

    value: float | None
    items: int
    reason: str = ""

    def as_dict(self) -> dict:
        return {
            "value": None if self.value is None else round(self.value, 6),
            "items": self.items,
            "reason": self.reason or None,
        }


class Alpha:
    """Krippendorff's alpha for nominal data, accumulated unit by unit.

    For each unit coded by m_u >= 2 coders, every ordered pair of its values (c, k) from
    different coders adds 1 / (m_u - 1) to the coincidence o_ck. With n_c = sum_k o_ck and
    n = sum_c n_c (the pairable values):

        alpha = 1 - (n - 1) * sum_{c != k} o_ck / sum_{c != k} n_c * n_k

    Units coded by fewer than two coders carry no information about agreement and are left out.
    """

    def __init__(self):
        self.coincidences: defaultdict[tuple[Hashable, Hashable], float] = defaultdict(float)
        self.units = 0

    def add(self, values: Iterable[Hashable]) -> None:
        """One unit: the values its coders gave (one per coder; missing ones left out)."""
        counts = Counter(values)
        m = sum(counts.values())
        if m < 2:
            return
        self.units += 1
        for c, n_c in counts.items():
            for k, n_k in counts.items():
                pairs = n_c * (n_k - 1) if c == k else n_c * n_k
                if pairs:
                    self.coincidences[c, k] += pairs / (m - 1)

    def result(self) -> Figure:
        if not self.units:
            return Figure(None, 0, "no comment was reviewed by two or more moderators")
        totals: defaultdict[Hashable, float] = defaultdict(float)
        for (c, _k), o in self.coincidences.items():
            totals[c] += o
        n = sum(totals.values())
        observed = sum(o for (c, k), o in self.coincidences.items() if c != k)
        expected = sum(totals[c] * totals[k] for c in totals for k in totals if c != k)
        if expected == 0:
            (only,) = totals
            return Figure(None, self.units, f"no variation: every label is {only}")
        return Figure(1 - (n - 1) * observed / expected, self.units)


def krippendorff_alpha(units: Iterable[Iterable[Hashable]]) -> Figure:
    """Alpha (nominal) over units, each the values its coders gave (missing values omitted)."""
    alpha = Alpha()
    for values in units:
        alpha.add(values)
    return alpha.result()


class Kappa:
    """Cohen's kappa for one pair of coders over the items both coded, accumulated item by item.

    p_o = share of items on which they agree
    p_e = sum over values v of P(A says v) * P(B says v)
    kappa = (p_o - p_e) / (1 - p_e)
    """

    def __init__(self):
        self.table: Counter[tuple[Hashable, Hashable]] = Counter()

    def add(self, a: Hashable, b: Hashable) -> None:
        self.table[a, b] += 1

    @property
    def items(self) -> int:
        return sum(self.table.values())

    def result(self) -> Figure:
        n = self.items
        if not n:
            return Figure(None, 0, "no comment reviewed by both")
        first, second = Counter(), Counter()
        for (a, b), count in self.table.items():
            first[a] += count
            second[b] += count
        chance = sum(first[v] * second[v] for v in first)  # p_e * n², an integer
        if chance == n * n:
            (only,) = first
            return Figure(None, n, f"no variation: both gave every comment the label {only}")
        observed = sum(count for (a, b), count in self.table.items() if a == b) / n
        expected = chance / (n * n)
        return Figure((observed - expected) / (1 - expected), n)


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

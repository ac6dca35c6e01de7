"""moderation.agreement against published worked examples, and its degenerate cases; its
bootstrap intervals against a brute-force resampling in plain Python.

No database: the statistics are pure functions of the labels.
"""

import random
from collections import Counter, defaultdict
from itertools import product

import numpy as np
import pytest

from moderation.agreement import (
    BOOTSTRAP_DRAWS,
    BOOTSTRAP_SEED,
    MIN_ITEMS,
    Agreement,
    Alpha,
    Kappa,
    cohen_kappa,
    krippendorff_alpha,
)
from moderation.export.recompute import (
    PERCENTILES,
    alpha_statistic,
    canonical_cells,
    kappa_statistic,
    unit_pattern,
)

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: nominal data,
# four observers, twelve units, missing values (None). Published result: alpha = 0.743.
OBSERVERS = {
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
}
UNITS = [[v for v in unit if v is not None] for unit in zip(*OBSERVERS.values(), strict=True)]

# Same source, section A: binary data, two observers, no missing data. alpha = 0.095.
BINARY = list(zip([0, 1, 0, 0, 0, 0, 0, 0, 1, 0], [1, 1, 1, 0, 0, 1, 0, 0, 0, 0], strict=True))


def test_alpha_nominal_with_missing_values_is_krippendorffs_0_743():
    figure = krippendorff_alpha(UNITS)
    assert round(figure.value, 3) == 0.743
    assert figure.items == 11  # unit 12 has a single value: it cannot be paired


def test_alpha_binary_two_observers_is_krippendorffs_0_095():
    figure = krippendorff_alpha(BINARY)
    assert round(figure.value, 3) == 0.095
    assert figure.items == 10


def test_alpha_does_not_depend_on_the_order_of_units_or_values():
    shuffled = [list(reversed(unit)) for unit in reversed(UNITS)]
    assert krippendorff_alpha(shuffled).value == pytest.approx(krippendorff_alpha(UNITS).value)


def test_alpha_is_one_on_perfect_agreement_with_variation():
    assert krippendorff_alpha([[1, 1], [0, 0, 0], [1, 1, 1]]).value == 1.0


def test_alpha_without_variation_is_undefined_with_a_reason():
    figure = krippendorff_alpha([[0, 0], [0, 0, 0]])
    assert figure.value is None
    assert figure.items == 2
    assert figure.reason == "no variation: every label is 0"


def test_alpha_without_a_unit_coded_twice_is_undefined():
    figure = krippendorff_alpha([[1], [0], []])
    assert (figure.value, figure.items) == (None, 0)
    assert "two or more" in figure.reason


def test_alpha_accumulates_unit_by_unit():
    alpha = Alpha()
    for unit in UNITS:
        alpha.add(unit)
    assert alpha.result() == krippendorff_alpha(UNITS)


# The common textbook 2x2 example: 50 items; both yes 20,
# A yes / B no 5, A no / B yes 10, both no 15 -> p_o = 0.7, p_e = 0.5, kappa = 0.4.
TEXTBOOK = [(1, 1)] * 20 + [(1, 0)] * 5 + [(0, 1)] * 10 + [(0, 0)] * 15


def test_kappa_is_the_textbook_0_4():
    figure = cohen_kappa(TEXTBOOK)
    assert figure.value == pytest.approx(0.4)
    assert figure.items == 50


# Cohen (1960), "A coefficient of agreement for nominal scales", Table 1: two judges, three
# categories, proportions of 200 items (rows judge B, columns judge A):
#   .44 .07 .09 | .60
#   .05 .20 .05 | .30
#   .01 .03 .06 | .10
#   .50 .30 .20
# p_o = .70, p_c = .41, kappa = .29 / .59 = .492.
COHEN_1960 = [
    ((a, b), round(share * 200))
    for b, row in enumerate([(0.44, 0.07, 0.09), (0.05, 0.20, 0.05), (0.01, 0.03, 0.06)], 1)
    for a, share in enumerate(row, 1)
]


def test_kappa_is_cohens_own_1960_example():
    pairs = [pair for pair, count in COHEN_1960 for _ in range(count)]
    figure = cohen_kappa(pairs)
    assert figure.items == 200
    assert round(figure.value, 3) == 0.492


def test_kappa_is_symmetric_in_its_coders():
    swapped = [(b, a) for a, b in TEXTBOOK]
    assert cohen_kappa(swapped).value == pytest.approx(cohen_kappa(TEXTBOOK).value)


def test_kappa_on_perfect_agreement_is_one_and_on_chance_is_zero():
    assert cohen_kappa([(1, 1), (0, 0)]).value == 1.0
    assert cohen_kappa([(1, 1), (0, 1)]).value == 0.0


def test_kappa_when_both_give_one_label_only_is_undefined():
    figure = cohen_kappa([(0, 0)] * 4)
    assert (figure.value, figure.items) == (None, 4)
    assert "no variation" in figure.reason


def test_kappa_without_shared_items_is_undefined():
    figure = cohen_kappa([])
    assert (figure.value, figure.items) == (None, 0)


def test_agreement_per_category_and_pair():
    agreement = Agreement()
    # labels[category][coder], one comment at a time: the binary example as coders 1 and 2.
    for a, b in BINARY:
        agreement.add({"profanity": {1: a, 2: b}, "attack": {1: 0, 2: 0}})
    agreement.add({"profanity": {3: 1}})  # one reviewer: no pair, not pairable
    alphas, kappas = agreement.alphas(), agreement.kappas()
    assert round(alphas["profanity"].value, 3) == 0.095
    assert alphas["profanity"].items == 10
    assert alphas["attack"].value is None
    assert set(kappas) == {("profanity", 1, 2), ("attack", 1, 2)}
    assert kappas["profanity", 1, 2].items == 10
    assert kappas["profanity", 1, 2].value == pytest.approx(cohen_kappa(BINARY).value)


def test_figures_as_dicts():
    figure = cohen_kappa(TEXTBOOK)
    assert figure.as_dict() == {
        "value": 0.4,
        "items": 50,
        "reason": None,
        "low": round(figure.low, 6),
        "high": round(figure.high, 6),
        "undefined_draws": 0,
        "too_few": False,
    }
    assert cohen_kappa([]).as_dict()["reason"] == "no comment reviewed by both"


# The formulas as published, in plain Python and one unit at a time: what the vectorised
# statistics (from pattern counts, every bootstrap draw at once) are checked against.


def reference_alpha(units) -> float | None:
    """Krippendorff (2011): the coincidence matrix, unit by unit."""
    coincidences = defaultdict(float)
    for values in units:
        counts = Counter(values)
        m = sum(counts.values())
        if m < 2:
            continue
        for (c, n_c), (k, n_k) in product(counts.items(), repeat=2):
            coincidences[c, k] += (n_c * (n_k - 1) if c == k else n_c * n_k) / (m - 1)
    totals = defaultdict(float)
    for (c, _), o in coincidences.items():
        totals[c] += o
    n = sum(totals.values())
    observed = sum(o for (c, k), o in coincidences.items() if c != k)
    expected = sum(totals[c] * totals[k] for c in totals for k in totals if c != k)
    return None if expected == 0 else 1 - (n - 1) * observed / expected


def reference_kappa(pairs) -> float | None:
    """Cohen (1960): (p_o - p_e) / (1 - p_e) from the two coders' marginals."""
    n = len(pairs)
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(first[v] * second[v] for v in first) / n / n
    if expected == 1:
        return None
    observed = sum(a == b for a, b in pairs) / n
    return (observed - expected) / (1 - expected)


def random_alpha_patterns(rng: random.Random) -> list[tuple]:
    """Distinct unit patterns of 2 to 4 coders, labels 0/1 (or 0-2, now and then)."""
    values = range(3) if rng.random() < 0.2 else range(2)
    units = [[rng.choice(values) for _ in range(rng.randint(2, 4))] for _ in range(8)]
    return sorted({unit_pattern(unit) for unit in units})


def expand(patterns, counts) -> list[list]:
    """The units that pattern counts stand for."""
    return [
        [value for value, times in pattern for _ in range(times)]
        for pattern, count in zip(patterns, counts, strict=True)
        for _ in range(count)
    ]


def test_alpha_from_pattern_counts_is_the_coincidence_formula_on_the_units():
    rng = random.Random(1)
    for _ in range(300):
        patterns = random_alpha_patterns(rng)
        counts = np.array([[rng.randint(0, 6) for _ in patterns] for _ in range(3)])
        counts[:, 0] += 1  # no draw is empty
        alphas = alpha_statistic(patterns)(counts)
        for row, alpha in zip(counts, alphas, strict=True):
            expected = reference_alpha(expand(patterns, row))
            if expected is None:
                assert np.isnan(alpha)
            else:
                assert alpha == pytest.approx(expected, abs=1e-12)


def test_kappa_from_cell_counts_is_cohens_formula_on_the_items():
    rng = random.Random(2)
    for _ in range(300):
        values = range(3) if rng.random() < 0.2 else range(2)
        cells = sorted({(rng.choice(values), rng.choice(values)) for _ in range(5)})
        counts = np.array([[rng.randint(0, 6) for _ in cells] for _ in range(3)])
        counts[:, 0] += 1
        kappas = kappa_statistic(cells)(counts)
        for row, kappa in zip(counts, kappas, strict=True):
            pairs = [cell for cell, count in zip(cells, row, strict=True) for _ in range(count)]
            expected = reference_kappa(pairs)
            if expected is None:
                assert np.isnan(kappa)
            else:
                assert kappa == pytest.approx(expected, abs=1e-12)


def brute_force_interval(patterns, counts, reference):
    """The bootstrap by hand: the same multinomial draws, each expanded into its units and
    the figure computed from them with the published formula."""
    units = sum(counts)
    p = np.array(counts) / units
    draws = np.random.default_rng(BOOTSTRAP_SEED).multinomial(units, p, size=BOOTSTRAP_DRAWS)
    figures = [reference(expand(patterns, draw)) for draw in draws]
    defined = [figure for figure in figures if figure is not None]
    low, high = np.percentile(defined, PERCENTILES)
    return low, high, len(figures) - len(defined)


def test_alpha_interval_is_a_brute_force_bootstrap_over_units():
    units = [[1, 1], [0, 0, 0], [0, 1], [0, 0], [1, 1, 0, 1], [0, 0, 1]] * 6 + [[0, 0]] * 10
    figure = krippendorff_alpha(units)
    patterns = sorted(Counter(unit_pattern(unit) for unit in units).items())
    low, high, undefined = brute_force_interval(
        [pattern for pattern, _ in patterns], [count for _, count in patterns], reference_alpha
    )
    assert figure.low == pytest.approx(low, abs=1e-12)
    assert figure.high == pytest.approx(high, abs=1e-12)
    assert figure.undefined_draws == undefined == 0


def test_kappa_interval_is_a_brute_force_bootstrap_over_items():
    pairs = [*TEXTBOOK[::2], (2, 2), (2, 0)]  # 25 items and a third label
    figure = cohen_kappa(pairs)
    cells = canonical_cells(Counter(pairs))
    low, high, undefined = brute_force_interval(
        [((cell, 1),) for cell, _ in cells],  # a unit of one "value": its cell
        [count for _, count in cells],
        lambda units: reference_kappa([cell for (cell,) in units]),
    )
    assert figure.low == pytest.approx(low, abs=1e-12)
    assert figure.high == pytest.approx(high, abs=1e-12)
    assert figure.undefined_draws == undefined == 0


def test_draws_without_variation_are_left_out_and_counted():
    # One disagreement among 31 comments: about a third of the draws miss it (alpha undefined).
    units = [[0, 0]] * 30 + [[0, 1]]
    figure = krippendorff_alpha(units)
    patterns = sorted(Counter(unit_pattern(unit) for unit in units).items())
    low, high, undefined = brute_force_interval(
        [pattern for pattern, _ in patterns], [count for _, count in patterns], reference_alpha
    )
    assert 250 < figure.undefined_draws == undefined < 450
    assert (figure.low, figure.high) == (pytest.approx(low), pytest.approx(high))


def binary_units(n: int, coders: int, seed: int) -> list[list[int]]:
    """n comments, each labelled by `coders` moderators who mostly agree (20 % positive)."""
    rng = random.Random(seed)
    units = []
    for _ in range(n):
        truth = int(rng.random() < 0.2)
        units.append([truth if rng.random() < 0.85 else 1 - truth for _ in range(coders)])
    return units


def test_interval_contains_the_value():
    for seed in range(5):
        units = binary_units(200, 3, seed)
        alpha = krippendorff_alpha(units)
        kappa = cohen_kappa([(unit[0], unit[1]) for unit in units])
        assert alpha.low <= alpha.value <= alpha.high
        assert kappa.low <= kappa.value <= kappa.high


def test_interval_narrows_as_units_grow():
    units = binary_units(50, 2, 7)
    widths = []
    for times in (1, 10, 100):
        figure = krippendorff_alpha(units * times)  # the same proportions, more units
        widths.append(figure.high - figure.low)
    assert widths[0] > 2.5 * widths[1] > 2.5 * 2.5 * widths[2]  # about sqrt(10) each time


def test_interval_is_the_same_on_every_run_and_in_any_order():
    units = binary_units(300, 4, 3)
    first = krippendorff_alpha(units)
    assert krippendorff_alpha(units) == first
    shuffled = [random.Random(i).sample(unit, len(unit)) for i, unit in enumerate(units)]
    random.Random(0).shuffle(shuffled)
    assert krippendorff_alpha(shuffled) == first

    pairs = [(unit[0], unit[1]) for unit in units]
    kappa = cohen_kappa(pairs)
    assert cohen_kappa(list(reversed(pairs))) == kappa
    assert cohen_kappa([(b, a) for a, b in pairs]) == kappa  # whichever coder comes first


def test_an_undefined_figure_or_one_unit_has_no_interval():
    assert krippendorff_alpha([[0, 0]] * 40).low is None
    one = krippendorff_alpha([[0, 1]])
    assert (one.value, one.low, one.high) == (0.0, None, None)
    assert cohen_kappa([(0, 0)] * 40).high is None
    assert cohen_kappa([]).low is None


def test_a_figure_on_fewer_than_min_items_is_too_few_to_cite():
    units = binary_units(MIN_ITEMS, 2, 5)
    assert not krippendorff_alpha(units).too_few
    assert krippendorff_alpha(units[1:]).too_few
    assert cohen_kappa([]).too_few


def test_agreement_gives_the_intervals_of_its_alphas_and_kappas():
    agreement = Agreement()
    units = binary_units(100, 3, 11)
    for unit in units:
        agreement.add({"attack": dict(zip("xyz", unit, strict=True))})
    assert agreement.alphas()["attack"] == krippendorff_alpha(units)
    kappa = Kappa()
    for unit in units:
        kappa.add(unit[0], unit[2])
    assert agreement.kappas()["attack", "x", "z"] == kappa.result()

"""moderation.agreement against published worked examples, and its degenerate cases.

No database: the statistics are pure functions of the labels.
"""

import pytest

from moderation.agreement import Agreement, Alpha, cohen_kappa, krippendorff_alpha

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
    assert cohen_kappa(TEXTBOOK).as_dict() == {"value": 0.4, "items": 50, "reason": None}
    assert cohen_kappa([]).as_dict()["reason"] == "no comment reviewed by both"

"""Benchmark the agreement intervals (moderation.agreement): the time of one figure with its
bootstrap interval (`Alpha.result()`, `Kappa.result()`: the value, then BOOTSTRAP_DRAWS
multinomial draws over the patterns and the figure of every draw), for 1,000, 100,000 and
1,000,000 comments with binary labels from 2, 3, 4 or 2 to 4 moderators each, on one core.

    .venv/bin/python bench/bootstrap.py [--units 1000 100000 1000000] [--rounds 7]

The comments are made with numpy (20 % positive; each moderator gives the true label with
probability 0.85) and counted into the accumulators' patterns directly, so the figures time
the bootstrap alone. Accumulating is the export's pure-Python loop, paid while it streams the
labels anyway; it is timed once, per comment (`Alpha.add`, `Kappa.add`), so its total for a
million comments can be read beside the bootstrap's. Last, an export page's cost: alpha for 4
categories and kappa for every pair of 10 moderators in each (4 + 180 figures).

Medians of `--rounds` runs. Memory does not depend on the number of comments: a figure keeps
one count per pattern (at most 12 here for alpha, 4 cells for kappa).
"""

import argparse
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

# One core: the figures are per core, whatever BLAS would spread over.
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from moderation.agreement import BOOTSTRAP_DRAWS, Alpha, Kappa  # noqa: E402

CODERS = {"2": (2, 2), "3": (3, 3), "4": (4, 4), "2-4": (2, 4)}
PAGE_CATEGORIES, PAGE_MODERATORS = 4, 10


def labels(units: int, coders: tuple[int, int], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(labels, mask): units x 4 binary labels, and which of the 4 moderators gave one."""
    rng = np.random.default_rng(seed)
    truth = rng.random(units) < 0.2
    agrees = rng.random((units, 4)) < 0.85
    given = np.where(agrees, truth[:, None], ~truth[:, None]).astype(np.int64)
    counts = rng.integers(coders[0], coders[1] + 1, size=units)
    mask = np.arange(4)[None, :] < counts[:, None]
    return given, mask


def alpha_of(given: np.ndarray, mask: np.ndarray) -> Alpha:
    """An Alpha holding these comments' patterns, counted with numpy."""
    m = mask.sum(axis=1)
    ones = (given * mask).sum(axis=1)
    alpha = Alpha()
    for (coders, positive), count in Counter(zip(m.tolist(), ones.tolist(), strict=True)).items():
        pattern = tuple((value, n) for value, n in ((0, coders - positive), (1, positive)) if n)
        alpha.patterns[pattern] += count
    return alpha


def kappa_of(given: np.ndarray) -> Kappa:
    """A Kappa of the first two moderators, who label every comment."""
    kappa = Kappa()
    cells = Counter(zip(given[:, 0].tolist(), given[:, 1].tolist(), strict=True))
    for cell, count in cells.items():
        kappa.table[cell] += count
    return kappa


def median_seconds(work, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def accumulation(units: int) -> tuple[float, float]:
    """Seconds per comment of Alpha.add (4 moderators) and Kappa.add, on `units` comments."""
    given, _ = labels(units, (4, 4), seed=0)
    rows = given.tolist()
    alpha, kappa = Alpha(), Kappa()
    start = time.perf_counter()
    for row in rows:
        alpha.add(row)
    per_alpha = (time.perf_counter() - start) / units
    start = time.perf_counter()
    for row in rows:
        kappa.add(row[0], row[1])
    return per_alpha, (time.perf_counter() - start) / units


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, nargs="+", default=[1_000, 100_000, 1_000_000])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()

    print(f"bootstrap: {BOOTSTRAP_DRAWS} draws per figure, one core, numpy {np.__version__}")
    print(f"medians of {args.rounds} rounds, milliseconds per figure (value and interval)")
    print(f"{'comments':>10}  {'coders':>6}  {'patterns':>8}  {'alpha ms':>8}  {'kappa ms':>8}  "
          f"{'alpha [95% interval]':>26}")  # fmt: skip
    slowest = {"alpha": 0.0, "kappa": 0.0}
    for units in args.units:
        for name, coders in CODERS.items():
            given, mask = labels(units, coders, seed=units)
            alpha, kappa = alpha_of(given, mask), kappa_of(given)
            assert alpha.units == kappa.items == units
            alpha_s = median_seconds(alpha.result, args.rounds)
            kappa_s = median_seconds(kappa.result, args.rounds)
            slowest = {
                "alpha": max(slowest["alpha"], alpha_s),
                "kappa": max(slowest["kappa"], kappa_s),
            }
            figure = alpha.result()
            interval = f"{figure.value:.3f} [{figure.low:.3f}, {figure.high:.3f}]"
            print(f"{units:>10,}  {name:>6}  {len(alpha.patterns):>8}  {alpha_s * 1e3:>8.2f}  "
                  f"{kappa_s * 1e3:>8.2f}  {interval:>26}")  # fmt: skip

    sample = min(100_000, max(args.units))
    per_alpha, per_kappa = accumulation(sample)
    print(
        f"accumulating (pure Python, timed on {sample:,} comments): Alpha.add "
        f"{per_alpha * 1e6:.2f} µs and Kappa.add {per_kappa * 1e6:.2f} µs per comment, "
        f"{per_alpha * 1e6:.1f} s and {per_kappa * 1e6:.1f} s for a million"
    )
    pairs = PAGE_CATEGORIES * PAGE_MODERATORS * (PAGE_MODERATORS - 1) // 2
    page = PAGE_CATEGORIES * slowest["alpha"] + pairs * slowest["kappa"]
    print(
        f"an export page ({PAGE_CATEGORIES} categories, {PAGE_MODERATORS} moderators: "
        f"{PAGE_CATEGORIES} alphas and {pairs} kappas) at the slowest figures above: "
        f"{page * 1e3:.0f} ms"
    )


if __name__ == "__main__":
    main()

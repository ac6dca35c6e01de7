"""Inter-annotator agreement: Krippendorff's alpha (nominal) and Cohen's kappa with 95 %
bootstrap intervals over comments, in Python and numpy.

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
streaming, in memory that does not grow with the number of comments: alpha keeps a count per
pattern of labels (the sorted (label, count) pairs of a comment), kappa a count per cell
(label of A, label of B) for each pair of coders. A figure that cannot be computed (no unit
coded by two coders, or no variation at all) is None, with the reason in words.

The code lives in moderation/export/recompute.py, a script with no Django that the export
bundle ships as `agreement.py`, so that a researcher recomputes the very figures the dashboard
shows (same statistics, seed, draws and pattern order): one implementation, read here. That
file is loaded by its path rather than imported as `moderation.export.recompute`, because
importing the `moderation.export` package runs its build module, which imports this one. It
is registered under that name, so an import of it elsewhere gets the same module.
"""

import importlib.util
import sys
from pathlib import Path

_NAME = "moderation.export.recompute"


def _recompute():
    if _NAME in sys.modules:
        return sys.modules[_NAME]
    spec = importlib.util.spec_from_file_location(
        _NAME, Path(__file__).resolve().parent / "export/recompute.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[_NAME] = module
    spec.loader.exec_module(module)
    return module


_module = _recompute()

BOOTSTRAP_DRAWS = _module.BOOTSTRAP_DRAWS
BOOTSTRAP_SEED = _module.BOOTSTRAP_SEED
LEVEL = _module.LEVEL
MIN_ITEMS = _module.MIN_ITEMS
Agreement = _module.Agreement
Alpha = _module.Alpha
Figure = _module.Figure
Kappa = _module.Kappa
cohen_kappa = _module.cohen_kappa
krippendorff_alpha = _module.krippendorff_alpha

__all__ = [
    "BOOTSTRAP_DRAWS",
    "BOOTSTRAP_SEED",
    "LEVEL",
    "MIN_ITEMS",
    "Agreement",
    "Alpha",
    "Figure",
    "Kappa",
    "cohen_kappa",
    "krippendorff_alpha",
]

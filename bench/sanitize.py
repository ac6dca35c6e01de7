"""Sanitizing one comment: time and peak memory, per kind of input (issue 11).

    .venv/bin/python bench/sanitize.py [--rounds 5] [--unbounded]

Each input is cleaned the way the WordPress importer cleans a comment's content
(`archive.importing.wxr._clean`, in the module's public pieces): cut to WordPress's 65,525
bytes (`truncate`), WordPress's paragraphs (`autop`), the nesting and element caps
(`bound`), then `sanitize` (bleach). The baseline is bleach alone (the same
Cleaner, no caps, no autop) on 64 KB of plain text: what sanitizing costs when there is
nothing to cut.

Printed per input: its size, the median time over --rounds runs (and the slowest), the peak
memory Python allocates during one run (tracemalloc, measured in a separate run because
tracing slows everything down), the size of the sanitized HTML, and what was cut.
`--unbounded` adds bleach alone on the 64 KB inputs with tags, to show what the caps save
(seconds each: the 1.35 MB input is never run unbounded, it took 429 s).
"""

import argparse
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archive import sanitize as sanitizing  # noqa: E402 (after the path is set)
from archive.sanitize import COMMENT_MAX_BYTES, autop, bound, sanitize, truncate  # noqa: E402

KB = 1024
MAX = COMMENT_MAX_BYTES  # "64 KB": the longest comment WordPress takes


def repeated(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


ORDINARY = (
    '<p>I read the <a href="https://example.com/report">council report</a> and it says '
    "<em>nothing</em> of the sort.</p>\n<blockquote>The bridge will be closed.</blockquote>\n"
    "<b>Closed</b> for how long? Nobody knows.\n\n"
)
INPUTS = {
    "plain text, 64 KB": repeated("A reader's plain words. ", MAX),
    "plain lines (autop <br>), 64 KB": repeated("A line of a poem\n", MAX),
    "ordinary markup, 64 KB": repeated(ORDINARY, MAX),
    "unclosed <b>, 64 KB": repeated("<b>x", MAX),
    "unclosed <b>, 1.35 MB": repeated("<b>x", 1_350_000),
    "unclosed <b>, 23 MB": repeated("<b>x", 23_000_000),
    "nested <blockquote>, 64 KB": repeated("<blockquote>x", MAX),
    "re-opened <p><b>, 64 KB": repeated("<p><b>x", MAX),
    "misnested <b><i>x</b></i>, 64 KB": repeated("<b><i>x</b></i>", MAX),
}


def clean_comment(markup: str) -> tuple[str, tuple[str, ...]]:
    """What the WordPress importer does with a comment's content."""
    markup, cut = truncate(markup, COMMENT_MAX_BYTES)
    bounded = bound(autop(markup))
    return sanitize(bounded.markup), ((cut,) if cut else ()) + bounded.cuts


def bleach_alone(markup: str) -> tuple[str, tuple[str, ...]]:
    return sanitizing._cleaner.clean(markup), ()


def measure(function, markup: str, rounds: int) -> dict:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        html, cuts = function(markup)
        times.append(time.perf_counter() - started)
    tracemalloc.start()
    function(markup)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "median": statistics.median(times),
        "slowest": max(times),
        "peak": peak,
        "output": len(html),
        "cuts": cuts,
    }


def size(n: int) -> str:
    return f"{n / 1_000_000:.2f} MB" if n >= 1_000_000 else f"{n / KB:.1f} KB"


def row(label: str, markup: str, result: dict) -> str:
    cuts = "; ".join(result["cuts"]) or "nothing cut"
    return (
        f"{label:38} {size(len(markup)):>9} {result['median'] * 1000:9.1f} "
        f"{result['slowest'] * 1000:9.1f} {result['peak'] / 2**20:9.1f} "
        f"{size(result['output']):>9}  {cuts}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="runs per input (median)")
    parser.add_argument(
        "--unbounded", action="store_true", help="also bleach alone on the 64 KB tag inputs"
    )
    options = parser.parse_args()
    rounds = max(1, min(options.rounds, 50))
    print(
        f"caps: {COMMENT_MAX_BYTES:,} bytes, {sanitizing.MAX_DEPTH} open elements, "
        f"{sanitizing.MAX_FORMATTING} unclosed formatting elements, "
        f"{sanitizing.MAX_ELEMENTS:,} elements; {rounds} rounds, medians"
    )
    print(
        f"{'input':38} {'size':>9} {'median ms':>9} {'max ms':>9} {'peak MiB':>9} {'html':>9}  cut"
    )
    plain = INPUTS["plain text, 64 KB"]
    print(row("baseline: bleach alone, plain 64 KB", plain, measure(bleach_alone, plain, rounds)))
    for label, markup in INPUTS.items():
        print(row(label, markup, measure(clean_comment, markup, rounds)), flush=True)
    if options.unbounded:
        for label, markup in INPUTS.items():
            if "64 KB" in label and "plain" not in label:
                result = measure(bleach_alone, markup, 1)
                print(row(f"unbounded bleach: {label}", markup, result), flush=True)


if __name__ == "__main__":
    main()

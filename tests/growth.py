"""Bounded work, measured as growth: a function on input 4n must take well under 16 times
(quadratic) what it takes on input n; linear is 4.

Timed in CPU time of this process (another process keeping the other core busy does not
count), best of five, the two sizes interleaved so that a busy moment slows both alike, each
timing long enough (20 ms and more) to be measured. A shared machine can still stall one
measurement, so it is taken up to three times; quadratic work fails every one.
"""

from __future__ import annotations

import time
import timeit
from collections.abc import Callable

LIMIT = 8.0


def calls_lasting(function: Callable[[], object], seconds: float) -> int:
    """How many calls of `function` take at least `seconds` of CPU time."""
    number = 1
    while timeit.timeit(function, number=number, timer=time.process_time) < seconds:
        number *= 2
    return number


def growth_ratio(function: Callable[[str], object], small: str, large: str) -> float:
    """Best-of-5 CPU time of `function` on `large` over that on `small`."""
    number = calls_lasting(lambda: function(small), 0.02)
    times: dict[str, list[float]] = {"small": [], "large": []}
    for _ in range(5):
        for size, text in (("small", small), ("large", large)):
            times[size].append(
                timeit.timeit(
                    lambda text=text: function(text), number=number, timer=time.process_time
                )
            )
    return min(times["large"]) / min(times["small"])


def assert_linear_growth(
    function: Callable[[str], object], make: Callable[[int], str], n: int
) -> None:
    """`function(make(4 * n))` costs less than `LIMIT` times `function(make(n))`."""
    small, large = make(n), make(4 * n)
    ratios = []
    for _ in range(3):
        ratios.append(growth_ratio(function, small, large))
        if ratios[-1] < LIMIT:
            return
    raise AssertionError(f"{min(ratios):.1f}x the time for 4x the input (all of {ratios})")

"""What makes a tablet PIN acceptable: at least 6 digits, none of the PINs people guess first."""

from __future__ import annotations

import itertools
import re

MIN_DIGITS = 6
MAX_DIGITS = 12

# Common PINs that are not a repeat or a run (from published PIN-frequency studies).
COMMON = frozenset(
    {"112233", "121212", "123123", "123321", "147258", "159753", "654321", "696969", "111222"}
)


def pin_problems(pin: str) -> list[str]:
    """Codes of what is wrong with `pin` (empty: it may be used). The view words them."""
    if not re.fullmatch(r"[0-9]+", pin or ""):
        return ["digits"]
    if not MIN_DIGITS <= len(pin) <= MAX_DIGITS:
        return ["length"]
    if _is_trivial(pin):
        return ["trivial"]
    return []


def _is_trivial(pin: str) -> bool:
    if pin in COMMON:
        return True
    # A short pattern repeated, whole or cut off: 000000, 121212, 1212121, 123123, 845845.
    for size in range(1, len(pin) // 2 + 1):
        if pin == (pin[:size] * len(pin))[: len(pin)]:
            return True
    # A run up or down, wrapping round, of single, doubled or tripled digits: 123456, 654321,
    # 890123, 223344, 998877, 222333.
    for width in (1, 2, 3):
        if len(pin) % width == 0 and _is_run(pin, width):
            return True
    # A run and its mirror: 123321, 987789.
    half = pin[: len(pin) // 2]
    return len(pin) % 2 == 0 and pin == half + half[::-1] and _is_run(half, 1)


def _is_run(pin: str, width: int) -> bool:
    """`pin` is groups of `width` equal digits whose digits step by +1 or -1 (mod 10)."""
    groups = [pin[i : i + width] for i in range(0, len(pin), width)]
    if len(groups) < 2 or any(len(set(group)) != 1 for group in groups):
        return False
    steps = {(int(b[0]) - int(a[0])) % 10 for a, b in itertools.pairwise(groups)}
    return steps in ({1}, {9})

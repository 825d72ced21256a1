"""What makes a tablet PIN acceptable: at least 6 digits, none of the PINs people guess first."""

from __future__ import annotations

import itertools
import re

MIN_DIGITS = 6
MAX_DIGITS = 12
_DIGITS = "0123456789"

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
    # A short pattern repeated: 000000, 121212, 123123, 845845.
    for size in range(1, len(pin) // 2 + 1):
        if len(pin) % size == 0 and pin == pin[:size] * (len(pin) // size):
            return True
    # A run up or down, wrapping round: 123456, 654321, 890123.
    steps = {(int(b) - int(a)) % 10 for a, b in itertools.pairwise(pin)}
    if steps in ({1}, {9}):
        return True
    # A palindrome of a run: 123321, 987789.
    half = pin[: len(pin) // 2]
    return len(pin) % 2 == 0 and pin == half + half[::-1] and _is_trivial_run(half)


def _is_trivial_run(part: str) -> bool:
    return part in _DIGITS or part in _DIGITS[::-1] or len(set(part)) == 1

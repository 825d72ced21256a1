"""The password policy: long enough, not a common password, not easy to guess."""

from __future__ import annotations

import secrets
from functools import cache

from flask_babel import gettext as _
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH = 10
MIN_STRENGTH = 3  # zxcvbn's 0-4 scale: 3 is "safely unguessable"
GENERATED_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@cache
def common_passwords() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problems(password: str, *, user_inputs: tuple[str, ...] = ()) -> list[str]:
    """What is wrong with a new password, as sentences for the user; empty when it is fine."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(_("The password must have at least %(n)d characters.", n=MIN_LENGTH))
    if password.lower() in common_passwords():
        problems.append(_("This is one of the most common passwords; choose another."))
    lowered = password.lower()
    if any(len(word) >= 3 and word.lower() in lowered for word in user_inputs if word):
        problems.append(_("The password must not contain your user name or name."))
    if (
        not problems
        and zxcvbn(password[:100], user_inputs=list(user_inputs))["score"] < MIN_STRENGTH
    ):
        problems.append(
            _("The password is too easy to guess; use a longer phrase of unrelated words.")
        )
    return problems


def generate_password() -> str:
    """A random password to hand over once: three groups of five unambiguous characters."""
    chars = "".join(secrets.choice(GENERATED_ALPHABET) for _ in range(15))
    return "-".join(chars[i : i + 5] for i in range(0, 15, 5))

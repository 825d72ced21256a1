"""Sign-in throttling: a progressive delay per user name and a budget of failed logins per
address, counted in the shared rate-limit storage (SURVEY_RATELIMIT_STORAGE_URI) so every
worker sees the same counts. Nobody is ever locked out: after a few failures each further
attempt waits longer, and the right password after the wait logs in. docs/SECURITY.md
("Sign-in throttling") gives the schedule and why."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, MovingWindowSupport, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from survey.config import ConfigError
from survey.hashing import token_digest

log = logging.getLogger(__name__)

FORGET_SECONDS = 24 * 3600
"""A name's failures are forgotten a day after the first one (or at its next login)."""

T = TypeVar("T")


@dataclass(frozen=True)
class Rules:
    """The settings: failures before the delay starts, the first delay (it doubles with each
    further failure, up to the longest), and the failed logins one address may make."""

    free_failures: int
    first_delay: int
    max_delay: int
    per_address: tuple[RateLimitItem, ...]

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Rules:
        return cls(
            free_failures=int(config["LOGIN_FREE_FAILURES"]),
            first_delay=int(config["LOGIN_DELAY_SECONDS"]),
            max_delay=int(config["LOGIN_MAX_DELAY_SECONDS"]),
            per_address=tuple(parse_many(str(config["LOGIN_RATE_PER_ADDRESS"]))),
        )

    def delay(self, failures: int) -> int:
        """Seconds to wait after the last of `failures` failures before the next attempt."""
        if failures < self.free_failures:
            return 0
        steps = min(failures - self.free_failures, 32)  # 2**32 s is past any longest delay
        return min(self.max_delay, self.first_delay * 2**steps)


@dataclass(frozen=True)
class Wait:
    """An attempt refused unchecked: `seconds` until the next one may be made, and whose
    budget it was (a user name's or an address's)."""

    seconds: int
    of: Literal["name", "address"]


class LoginThrottle:
    """The counts of one app, in its storage. A name's attempts from a browser that logged in
    as that name before (a trusted device, survey.auth.devices) count in that browser's own
    bucket, so an attacker who hammers a name cannot slow its owner's usual browser; they are
    not counted against the address either."""

    def __init__(self, storage: Storage, rules: Rules, *, enabled: bool = True) -> None:
        self.storage, self.rules, self.enabled = storage, rules, enabled
        self._fallback: Storage | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> LoginThrottle:
        storage = storage_from_string(str(config["RATELIMIT_STORAGE_URI"]))
        if not isinstance(storage, Storage) or not isinstance(storage, MovingWindowSupport):
            raise ConfigError("SURVEY_RATELIMIT_STORAGE_URI: use memory:// or redis://...")
        enabled = bool(config.get("RATELIMIT_ENABLED", True))
        return cls(storage, Rules.from_config(config), enabled=enabled)

    def admit(self, username: str, address: str | None, device: str | None = None) -> Wait | None:
        """None when this attempt may check its password (and is counted as begun), else how
        long to wait. Taking an attempt is atomic in the storage: attempts made at once
        after a delay get one check between them, never one each."""
        if not self.enabled:
            return None
        return self._safely(lambda storage: self._admit(storage, username, address, device))

    def failed(self, username: str, address: str | None, device: str | None = None) -> None:
        """A wrong password (or an unknown or disabled name): the name's delay grows."""
        if self.enabled:
            self._safely(lambda storage: self._failed(storage, username, address, device))

    def succeeded(self, username: str, device: str | None = None) -> None:
        """A login: the name's failures (in this bucket) are forgotten."""
        if self.enabled:
            self._safely(lambda storage: self._succeeded(storage, username, device))

    def _admit(
        self, storage: Storage, username: str, address: str | None, device: str | None
    ) -> Wait | None:
        if device is None and address:
            budget = MovingWindowRateLimiter(storage)
            for item in self.rules.per_address:
                if not budget.test(item, "login-address", address):
                    reset = budget.get_window_stats(item, "login-address", address).reset_time
                    return Wait(_seconds_after(reset), "address")
        bucket = _bucket(username, device)
        failures = storage.get(f"{bucket}/failures")
        moving = _moving(storage)
        if failures < self.rules.free_failures:
            # Before the delay: attempts made at once are no more than the free ones.
            limit, window = self.rules.free_failures, max(1, self.rules.first_delay)
        else:
            # The storage refuses while its entry is at most `window` old (both ends counted):
            # a delay of 30 s lets the next attempt in once 29 s and a bit have passed.
            limit, window = 1, max(1, self.rules.delay(failures) - 1)
        if moving.acquire_entry(f"{bucket}/attempts", limit, window):
            return None
        last, _count = moving.get_moving_window(f"{bucket}/attempts", 1, window)
        return Wait(_seconds_after(last + window), "name")

    def _failed(
        self, storage: Storage, username: str, address: str | None, device: str | None
    ) -> None:
        if device is None and address:
            budget = MovingWindowRateLimiter(storage)
            for item in self.rules.per_address:
                budget.hit(item, "login-address", address)
        bucket = _bucket(username, device)
        failures = storage.incr(f"{bucket}/failures", FORGET_SECONDS)
        delay = self.rules.delay(failures)
        if delay:
            # The wait starts now, at this failure: the bucket's one entry is this moment.
            storage.clear(f"{bucket}/attempts")
            _moving(storage).acquire_entry(f"{bucket}/attempts", 1, delay)

    def _succeeded(self, storage: Storage, username: str, device: str | None) -> None:
        bucket = _bucket(username, device)
        storage.clear(f"{bucket}/failures")
        storage.clear(f"{bucket}/attempts")

    def _safely(self, action: Callable[[Storage], T]) -> T:
        """Run `action` on the shared storage; while it cannot be reached, on this worker's
        memory (throttling per worker beats refusing every login or none)."""
        try:
            return action(self.storage)
        except self.storage.base_exceptions:
            log.warning("rate-limit storage unreachable; throttling logins in this worker only")
            if self._fallback is None:
                self._fallback = MemoryStorage()
            return action(self._fallback)


def _bucket(username: str, device: str | None) -> str:
    """The storage key of a name's counts: a digest, so the storage holds no user names."""
    name = token_digest(username.strip().lower())[:32]
    return f"login-name/{name}" if device is None else f"login-device/{device}/{name}"


def _moving(storage: Storage) -> MovingWindowSupport:
    assert isinstance(storage, MovingWindowSupport)  # checked in from_config
    return storage


def _seconds_after(moment: float) -> int:
    """Whole seconds from now until just after `moment`: never too early."""
    return max(1, math.floor(moment - time.time()) + 1)

"""When a failed request may be sent again, and how long to wait first.

The rules never depend on settings, because they are about safety:

* the connection could not be opened: nothing reached the server, so any
  method is retried;
* 429 Too Many Requests: the server refused without acting, so any method
  is retried, after ``Retry-After`` when the server gives one;
* 502, 503, 504, a read timeout or a connection broken after sending: the
  server may have acted, so only idempotent methods (GET, PUT, DELETE, HEAD,
  OPTIONS) are retried, plus operations whose body carries a client-chosen
  idempotency ``id`` that is set (Divar refuses the same id twice).

How many times and how long is a :class:`RetryPolicy`, built from
``Configuration.retries``.
"""

from __future__ import annotations

import random as _random
import time
from dataclasses import dataclass, field
from typing import Any, Callable, FrozenSet

IDEMPOTENT_METHODS: FrozenSet[str] = frozenset({"GET", "PUT", "DELETE", "HEAD", "OPTIONS"})
#: answers that say "try again later" without anything having happened
REFUSED_STATUSES: FrozenSet[int] = frozenset({429})
#: answers after which the server may or may not have acted
MAYBE_DONE_STATUSES: FrozenSet[int] = frozenset({502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry what the rules allow.

    ``max_attempts`` counts the first try; backoff grows from
    ``backoff_initial`` by ``backoff_multiplier`` up to ``backoff_max`` with
    random jitter; no retry starts once ``max_total_delay`` seconds would be
    exceeded (counting the waits, or the time since the first attempt by
    ``clock`` when that is longer); a ``Retry-After`` longer than ``retry_after_max`` is
    not waited for (the error is raised with ``retry_after`` set instead).
    ``sleep``, ``clock`` and ``random`` can be replaced, e.g. in tests.
    """

    max_attempts: int = 3
    backoff_initial: float = 0.5
    backoff_multiplier: float = 2.0
    backoff_max: float = 8.0
    max_total_delay: float = 30.0
    retry_after_max: float = 60.0
    respect_retry_after: bool = True
    jitter: bool = True
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    clock: Callable[[], float] = field(default=time.monotonic, compare=False)
    random: Callable[[], float] = field(default=_random.random, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.max_attempts, int) or self.max_attempts < 1:
            raise ValueError("RetryPolicy.max_attempts must be an int >= 1")
        for name in ("backoff_initial", "backoff_multiplier", "backoff_max", "max_total_delay", "retry_after_max"):
            if getattr(self, name) < 0:
                raise ValueError(f"RetryPolicy.{name} must not be negative")

    @classmethod
    def none(cls) -> RetryPolicy:
        """A policy that never retries."""
        return cls(max_attempts=1)

    @classmethod
    def from_setting(cls, value: Any) -> RetryPolicy:
        """Read ``Configuration.retries``: None, an int, a RetryPolicy or a ``urllib3.Retry``."""
        if value is None:
            return cls()
        if isinstance(value, RetryPolicy):
            return value
        if value is False:
            return cls.none()
        if isinstance(value, int) and not isinstance(value, bool):
            if value < 0:
                raise ValueError("Configuration.retries must not be negative")
            return cls(max_attempts=value + 1)
        total = getattr(value, "total", None)
        if hasattr(value, "backoff_factor") and hasattr(value, "total"):  # urllib3.Retry, read not imported
            if total is None or total is False:
                counts = [getattr(value, n, None) for n in ("connect", "read", "status")]
                total = max((c for c in counts if isinstance(c, int)), default=0)
            backoff_factor = float(getattr(value, "backoff_factor", 0) or 0)
            return cls(
                max_attempts=int(total) + 1,
                backoff_initial=backoff_factor,
                backoff_max=float(getattr(value, "backoff_max", 120) or 0),
                respect_retry_after=bool(getattr(value, "respect_retry_after_header", True)),
                jitter=bool(getattr(value, "backoff_jitter", 0)),
            )
        raise TypeError(
            f"Configuration.retries must be None, an int, a RetryPolicy or a urllib3.Retry, not {type(value).__name__}"
        )

    def backoff(self, retry_number: int) -> float:
        """Seconds to wait before retry number ``retry_number`` (1 for the first)."""
        delay = min(self.backoff_max, self.backoff_initial * (self.backoff_multiplier ** (retry_number - 1)))
        if self.jitter:
            delay = delay / 2 + self.random() * delay / 2
        return max(0.0, delay)


def may_retry_status(status: int, idempotent: bool) -> bool:
    return status in REFUSED_STATUSES or (idempotent and status in MAYBE_DONE_STATUSES)


def is_idempotent(method: str, idempotency_key_set: bool = False) -> bool:
    return method.upper() in IDEMPOTENT_METHODS or idempotency_key_set

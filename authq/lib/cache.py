"""Django's Redis cache, failing open: with Redis unreachable it behaves as an empty cache
that keeps nothing, so pages and throttles keep working (reliability promise R3)."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# After a failure, a process leaves that server alone this long instead of paying a
# connection timeout on every request.
PAUSE_SECONDS = 5.0

# Server location -> monotonic time until which it is not tried (per process).
_down_until: dict[str, float] = {}


def _fail_open(fallback: Callable[..., Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Call the method; on a Redis or socket error answer fallback(*args) instead."""

    def wrap(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def call(self: FailOpenRedisCache, *args: Any, **kwargs: Any) -> Any:
            if _down_until.get(self.location, 0.0) > time.monotonic():
                return fallback(*args, **kwargs)
            try:
                answer = method(self, *args, **kwargs)
            except (RedisError, OSError) as exc:
                if self.location not in _down_until:
                    log.warning("cache unavailable, failing open: %s", type(exc).__name__)
                _down_until[self.location] = time.monotonic() + PAUSE_SECONDS
                return fallback(*args, **kwargs)
            if self.location in _down_until:  # back after an outage
                del _down_until[self.location]
                log.warning("cache available again")
            return answer

        return call

    return wrap


def _missing_key(key: Any, *args: Any, **kwargs: Any) -> Any:
    raise ValueError(f"Key {key!r} not found.")  # what incr says about a key it lacks


def _add_while_down(key: Any, *args: Any, **kwargs: Any) -> bool:
    """add() without Redis. allauth guards each rate-limit count with a lock key
    ("...:lock"): it is taken, as there is no count to guard, so sign-in is not refused.
    Anything else is not added: a TOTP code's one use cannot be checked, so it is refused
    (S17; recovery codes, kept in the database, still work)."""
    return str(key).endswith(":lock")


class FailOpenRedisCache(RedisCache):
    """Reads miss, writes are not kept, incr finds no key, while Redis cannot be reached."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self.location = server

    @_fail_open(lambda key, default=None, **kw: default)
    def get(self, *args: Any, **kwargs: Any) -> Any:
        return super().get(*args, **kwargs)

    @_fail_open(lambda *a, **kw: {})
    def get_many(self, *args: Any, **kwargs: Any) -> Any:
        return super().get_many(*args, **kwargs)

    @_fail_open(lambda *a, **kw: False)
    def has_key(self, *args: Any, **kwargs: Any) -> Any:
        return super().has_key(*args, **kwargs)

    @_fail_open(_add_while_down)
    def add(self, *args: Any, **kwargs: Any) -> Any:
        return super().add(*args, **kwargs)

    @_fail_open(lambda *a, **kw: None)
    def set(self, *args: Any, **kwargs: Any) -> Any:
        return super().set(*args, **kwargs)

    @_fail_open(lambda data, *a, **kw: list(data))
    def set_many(self, *args: Any, **kwargs: Any) -> Any:
        return super().set_many(*args, **kwargs)

    @_fail_open(lambda *a, **kw: False)
    def touch(self, *args: Any, **kwargs: Any) -> Any:
        return super().touch(*args, **kwargs)

    @_fail_open(lambda *a, **kw: False)
    def delete(self, *args: Any, **kwargs: Any) -> Any:
        return super().delete(*args, **kwargs)

    @_fail_open(lambda *a, **kw: None)
    def delete_many(self, *args: Any, **kwargs: Any) -> Any:
        return super().delete_many(*args, **kwargs)

    @_fail_open(_missing_key)
    def incr(self, *args: Any, **kwargs: Any) -> Any:
        return super().incr(*args, **kwargs)

    @_fail_open(lambda *a, **kw: None)
    def clear(self) -> Any:
        return super().clear()

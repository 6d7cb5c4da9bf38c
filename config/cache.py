"""The Redis cache, made to give up instead of failing when Redis is unreachable.

The cache holds nothing that cannot be done without: the rate limits of the residents' pages
and the leader overview's county figures. So with Redis down a read finds nothing, a write is
dropped and the rate limits let requests through (``RATELIMIT_FAIL_OPEN``): a resident's answer
is still saved, and the figures are summed for each reader. A warning is logged, once a minute
at most, not on every call.
"""

import logging
import time

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

#: Seconds between two warnings that the cache is unreachable.
WARNING_EVERY = 60
_last_warning = 0.0


def _warn(error: Exception) -> None:
    global _last_warning
    now = time.monotonic()
    if now - _last_warning >= WARNING_EVERY:
        _last_warning = now
        logger.warning("The cache (Redis) is unreachable, working without it: %s", error)


class ResilientRedisCache(RedisCache):
    """Django's Redis cache; each call returns what a miss would when Redis is unreachable."""

    def _or(self, fallback, method, *args, **kwargs):
        try:
            return method(*args, **kwargs)
        except (RedisError, OSError) as error:
            _warn(error)
            return fallback

    def add(self, key, value, timeout=None, version=None):
        return self._or(False, super().add, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._or(default, super().get, key, default, version)

    def set(self, key, value, timeout=None, version=None):
        self._or(None, super().set, key, value, timeout, version)

    def touch(self, key, timeout=None, version=None):
        return self._or(False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._or(False, super().delete, key, version)

    def get_many(self, keys, version=None):
        return self._or({}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._or(False, super().has_key, key, version)

    def incr(self, key, delta=1, version=None):
        # None, not a number: django-ratelimit then lets the request through.
        return self._or(None, super().incr, key, delta, version)

    def set_many(self, data, timeout=None, version=None):
        return self._or(list(data), super().set_many, data, timeout, version)

    def delete_many(self, keys, version=None):
        self._or(None, super().delete_many, keys, version)

    def clear(self):
        return self._or(False, super().clear)

    def reachable(self) -> bool:
        """Whether Redis answers now (for the health check)."""
        try:
            return bool(self._cache.get_client(write=True).ping())
        except (RedisError, OSError):
            return False

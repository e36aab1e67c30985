"""Per-key rate limits in Redis, told to the partner in ``RateLimit-*`` headers.

A fixed window per key (``INCR`` then ``EXPIRE`` in one round trip), shared by every gunicorn
worker and machine. The headers follow the IETF draft (draft-ietf-httpapi-ratelimit-headers):
``RateLimit-Limit``, ``RateLimit-Remaining``, ``RateLimit-Reset`` (seconds), and
``Retry-After`` on a 429. If Redis is down the request is let through: cases are still
accepted, as everywhere in Collectio when Redis is away.
"""

from __future__ import annotations

import logging
import time
from functools import cache
from typing import Any

import redis
from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

logger = logging.getLogger(__name__)


@cache
def _redis() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=0.5, socket_connect_timeout=0.5)


def _principal_ident(request: Request) -> str | None:
    key = getattr(request, "auth", None)
    if key is not None and hasattr(key, "prefix"):
        return f"key:{key.prefix}"
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return None


class KeyRateThrottle(BaseThrottle):
    """``API_RATE_LIMIT`` requests per ``API_RATE_WINDOW`` seconds for each key (or person)."""

    def allow_request(self, request: Request, view: Any) -> bool:
        ident = _principal_ident(request) or f"ip:{self.get_ident(request)}"
        limit, window = settings.API_RATE_LIMIT, settings.API_RATE_WINDOW
        now = time.time()
        start = int(now // window) * window
        self.reset = max(1, int(start + window - now))
        self.limit = limit
        try:
            pipe = _redis().pipeline()
            bucket = f"api:ratelimit:{ident}:{start}"
            pipe.incr(bucket)
            pipe.expire(bucket, window + 1)
            used = int(pipe.execute()[0])
        except redis.RedisError:
            logger.warning("rate limit not checked: Redis unavailable")
            self.remaining = limit
            return True
        self.remaining = max(0, limit - used)
        request.rate_limit = self  # the base view turns it into headers
        return used <= limit

    def wait(self) -> float:
        return float(self.reset)

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset),
        }

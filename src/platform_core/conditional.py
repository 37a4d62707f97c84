"""Conditional GET for public, cacheable reads (the catalogs): ETag, Last-Modified,
Cache-Control, and 304 Not Modified answered before the view runs.

    @router.get("/services", auth=None, ...)
    @cacheable(CATALOG)
    def list_services(request, ...): ...

The ETag is derived from the version counters the data depends on (platform_core.versioning),
the release and the full path with its query string: the body is a function of those, so a
matching ``If-None-Match`` (or an ``If-Modified-Since`` not older than the last bump) is
answered 304 from one cache round trip, with no query, serialisation or rendering.
Invalidation is the counters' bump on every write (model signals, services).

A 200 is also kept in the shared cache under its ETag, and a later GET that computes the same
ETag (another visitor, or one whose copy was dropped) is answered from it: one cache round trip
instead of the queries and the rendering. That is exactly as fresh as the ETag, which already
stands for the body: any bump changes the tag and so the key. A write and a reader racing can
only store newer data under an older tag, never the reverse (the counters are read before the
data and bumped again on commit), and an older tag is never computed again. Kept at most as long
as a CDN may serve the response (max-age + stale-while-revalidate).

The shared cache is also the Celery broker and never evicts (render.yaml), so what a stranger
can make it store is bounded: a body is kept only for a URL whose query parameters are all ones
the operation declares, each once, and only when that URL is rendered a second time within
CATALOG_BODY_SEEN_SECONDS (the first render leaves a marker of a few bytes). Random values
(``?junk=N``, ``?min_price=N``, ``?q=…``) leave markers, never bodies. A stranger who reads
each of many declared URLs twice (``?page_size=100``, ``101``, …) would still get a body kept for
each, so the bodies kept share a byte budget per lifetime window (CATALOG_BODY_BUDGET_BYTES; at
most two windows' worth are alive at once) and a body over CATALOG_BODY_MAX_BYTES is never kept:
past either, catalogs are rendered as if the cache were empty.

Cache-Control lets browsers and a CDN reuse a response for CATALOG_CACHE_MAX_AGE seconds and
serve it stale for CATALOG_CACHE_STALE_SECONDS more while revalidating, so a price change
reaches everyone within max-age (+ one stale response); checkout always re-reads prices.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.http import http_date, parse_http_date_safe
from ninja.decorators import decorate_view
from ninja.operation import Operation

from platform_core.versioning import VersionCounter

# Responses of another release may differ for the same data (fields, formats).
RELEASE = os.environ.get("RENDER_GIT_COMMIT", "") or os.environ.get("SENTRY_RELEASE", "")


def _cache_control() -> str:
    max_age = int(settings.CATALOG_CACHE_MAX_AGE)
    stale = int(settings.CATALOG_CACHE_STALE_SECONDS)
    return f"public, max-age={max_age}, stale-while-revalidate={stale}"


def _etag_matches(header: str, etag: str) -> bool:
    """Weak comparison (RFC 9110 §13.1.2): a CDN may have weakened the tag."""
    if header.strip() == "*":
        return True
    candidates = {part.strip().removeprefix("W/") for part in header.split(",")}
    return etag in candidates


def _validators(request: HttpRequest, counters: tuple[VersionCounter, ...]) -> tuple[str, int]:
    versions = []
    changed = 0.0
    for counter in counters:
        version, changed_at = counter.state()
        versions.append(str(version))
        changed = max(changed, changed_at)
    seed = f"{RELEASE}|{'.'.join(versions)}|{request.get_full_path()}"
    return f'"{hashlib.blake2b(seed.encode(), digest_size=12).hexdigest()}"', int(changed)


def _with_validators(response: HttpResponse, etag: str, last_modified: int) -> HttpResponse:
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified)
    response["Cache-Control"] = _cache_control()
    # No Vary: the catalogs are public, the same for everybody and in one language.
    return response


def _body_key(etag: str) -> str:
    return "conditional:body:" + etag.strip('"')


def _stored(etag: str) -> HttpResponse | None:
    """The 200 rendered earlier under this ETag, if the cache still holds it (a Redis outage
    reads as a miss: the view renders)."""
    stored = cache.get(_body_key(etag))
    if stored is None:
        return None
    content, headers = stored
    return HttpResponse(content, headers=headers)


def _worth_storing(request: HttpRequest, etag: str, query_names: frozenset[str]) -> bool:
    """A declared-parameters URL rendered a second time recently (see the module's note)."""
    if any(name not in query_names or len(request.GET.getlist(name)) > 1 for name in request.GET):
        return False
    seen = int(settings.CATALOG_BODY_SEEN_SECONDS)
    return not cache.add("conditional:seen:" + etag.strip('"'), 1, seen)


def _within_budget(size: int, timeout: int) -> bool:
    """Charge ``size`` bytes to this lifetime window's budget; False once it is spent (or the
    cache cannot count: keeping nothing is always safe)."""
    if size > int(settings.CATALOG_BODY_MAX_BYTES):
        return False
    key = f"conditional:budget:{int(time.time()) // timeout}"
    try:
        cache.add(key, 0, timeout * 2)
        spent = cache.incr(key, size)  # None when Redis is down (IGNORE_EXCEPTIONS)
    except ValueError:  # the counter expired between add and incr
        return False
    return spent is not None and int(spent) <= int(settings.CATALOG_BODY_BUDGET_BYTES)


def _store(etag: str, response: HttpResponse) -> None:
    if response.streaming or response.cookies:
        return
    timeout = int(settings.CATALOG_CACHE_MAX_AGE) + int(settings.CATALOG_CACHE_STALE_SECONDS)
    if _within_budget(len(response.content), max(1, timeout)):
        cache.set(_body_key(etag), (response.content, dict(response.headers)), timeout)


def not_modified(request: HttpRequest, etag: str, last_modified: int) -> bool:
    if_none_match = request.META.get("HTTP_IF_NONE_MATCH")
    if if_none_match is not None:  # takes precedence over If-Modified-Since (RFC 9110)
        return _etag_matches(if_none_match, etag)
    since = parse_http_date_safe(request.META.get("HTTP_IF_MODIFIED_SINCE", ""))
    return since is not None and last_modified <= since


def conditional(
    *counters: VersionCounter, query_names: frozenset[str] = frozenset()
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Wrap a Django-level view (Ninja's ``operation.run``) with the conditional GET;
    ``query_names``: the query parameters the operation declares (bodies of URLs with others
    are not kept)."""

    def decorator(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(run)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in ("GET", "HEAD"):
                return run(request, *args, **kwargs)
            # Validators first, data second: a response built from older data than the
            # counters say can only carry an older tag (see platform_core.versioning).
            etag, last_modified = _validators(request, counters)
            if not_modified(request, etag, last_modified):
                return _with_validators(HttpResponseNotModified(), etag, last_modified)
            stored = _stored(etag) if request.method == "GET" else None
            if stored is not None:
                return _with_validators(stored, etag, last_modified)
            response = run(request, *args, **kwargs)
            if response.status_code == 200:
                _with_validators(response, etag, last_modified)
                if request.method == "GET" and _worth_storing(request, etag, query_names):
                    _store(etag, response)
            return response

        return wrapper

    return decorator


def _declared_query_names(operation: Operation) -> frozenset[str]:
    return frozenset(
        name
        for model in operation.models
        if model.__ninja_param_source__ == "query"
        for name in model.__ninja_flatten_map__
    )


def cacheable(*counters: VersionCounter) -> Callable[[Any], Any]:
    """Ninja operation decorator: ``conditional`` around the whole operation (auth,
    parameters, the view and the renderer), so a 304 skips all of them."""

    def around_run(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        # Ninja hands over the operation's bound ``run`` (also for a clone of the operation).
        names = _declared_query_names(run.__self__)  # type: ignore[attr-defined]
        return conditional(*counters, query_names=names)(run)

    return decorate_view(around_run)

"""Start-up heap kept out of the garbage collector's way.

A worker's heap after start-up (Django, every app, the URL conf, the API and its schemas)
is ~180,000 objects that live as long as the process. CPython's full (generation 2)
collections walk all of them, which took 60–70 ms here and landed on whichever request was
allocating at the time: the calendar feed's p95 was 3x its p50 because of it
(docs/performance.md, "Garbage collection"). ``gc.freeze()`` moves them to a permanent
generation that collections skip; in a pre-forking parent it also keeps the collector from
writing to (and so un-sharing) pages the children inherited. Objects allocated later are
collected as usual.
"""

from __future__ import annotations

import gc


def freeze_startup_heap(*, load_urls: bool = True) -> int:
    """Collect once, then freeze what survives; returns how many objects were frozen.

    ``load_urls`` imports every view module now (the URL resolver is otherwise built by the
    first request), so the routes' objects are frozen too.
    """
    if load_urls:
        from django.urls import get_resolver

        get_resolver().url_patterns  # noqa: B018 - imports every URL conf and view
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()

import os

from django.core.handlers.asgi import ASGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studiozens.settings")


def _application() -> ASGIHandler:
    import django

    django.setup(set_prefix=False)
    from django.conf import settings

    from platform_core.asgi import StudioZensASGIHandler
    from platform_core.concurrency import from_settings
    from platform_core.heap import freeze_startup_heap

    # Bounded concurrency per worker in front of Django (platform_core.concurrency).
    handler = from_settings(StudioZensASGIHandler(threads=settings.WEB_THREADS), settings)
    freeze_startup_heap()
    return handler


application = _application()

import os

from django.core.handlers.asgi import ASGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studiozens.settings")


def _application() -> ASGIHandler:
    import django

    django.setup(set_prefix=False)
    from django.conf import settings

    from platform_core.asgi import StudioZensASGIHandler
    from platform_core.concurrency import from_settings

    # Bounded concurrency per worker in front of Django (platform_core.concurrency).
    return from_settings(StudioZensASGIHandler(), settings)


application = _application()

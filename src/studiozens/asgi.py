import os

from django.core.handlers.asgi import ASGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studiozens.settings")


def _application() -> ASGIHandler:
    import django

    django.setup(set_prefix=False)
    from platform_core.asgi import StudioZensASGIHandler

    return StudioZensASGIHandler()


application = _application()

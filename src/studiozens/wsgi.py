import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studiozens.settings")

application = get_wsgi_application()

from platform_core.heap import freeze_startup_heap  # noqa: E402

freeze_startup_heap()  # docs/performance.md, "Garbage collection"

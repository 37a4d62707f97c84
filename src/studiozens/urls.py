from django.conf import settings
from django.contrib import admin
from django.urls import path

from platform_core.plugins import get_plugins, resolve
from studiozens.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]

if not settings.PRODUCTION:
    # Development pages the front-end serves in production (e.g. Wompi's redirect target).
    urlpatterns += [
        path(route, resolve(view), name=f"dev-page-{plugin.name}-{index}")
        for plugin in get_plugins()
        for index, (route, view) in enumerate(sorted(plugin.dev_pages.items()))
    ]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Errors raised outside the API's views (a middleware): the one error shape under /api/.
handler400 = "platform_core.error_views.bad_request"
handler403 = "platform_core.error_views.permission_denied"
handler404 = "platform_core.error_views.page_not_found"
handler500 = "platform_core.error_views.server_error"

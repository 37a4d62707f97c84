from django.conf import settings
from django.contrib import admin
from django.urls import path

from studiozens.api import api

admin.site.site_header = "StudioZens"
admin.site.site_title = "StudioZens"
admin.site.index_title = "Administración del spa"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

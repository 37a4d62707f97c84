"""URLconf for the sample-plugin test: the real API built from the enabled plugins."""

from django.urls import path

from platform_core.plugins import get_plugins
from studiozens.api import build_api

api = build_api(get_plugins(), urls_namespace="sample-api")
urlpatterns = [path("api/", api.urls)]

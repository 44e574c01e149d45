"""URL routes of the integrations app (mounted at /integrations/).

The connections page, then each registered provider's own routes under its prefix (its
``urls`` module), all in the ``integrations`` namespace. Connections are per workspace, so no
route carries an id.
"""

from django.urls import include, path

from integrations import registry, views

app_name = "integrations"

urlpatterns = [
    path("", views.index, name="index"),
    *(path(p.url_prefix, include(p.urls)) for p in registry.providers() if p.urls),
]

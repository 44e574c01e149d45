"""URL routes of the built-in sandbox providers (served under /sandbox/ when SANDBOX_ENABLED).

- ``intuit/…`` and ``qbo/v3/company/<realm>/…``: Intuit OAuth 2 and the QBO Accounting API
- ``lacrm/v2/`` and ``lacrm/oauth/…``: the LACRM API v2 and its partner OAuth
- ``browse/…``: read-only pages of the signed-in user's own sandbox records
"""

from django.urls import include, path

urlpatterns = [
    path("", include("integrations.sandbox.qbo.urls")),
    path("lacrm/", include("integrations.sandbox.lacrm.urls")),
    path("browse/", include("integrations.sandbox.browse.urls")),
]

"""URL routes of the sandbox QBO provider (mounted at /sandbox/).

- ``intuit/.well-known/openid_configuration``: discovery (pass as intuitlib's ``environment``)
- ``intuit/connect/oauth2``: consent screen; ``intuit/oauth2/v1/tokens/bearer`` and
  ``…/tokens/revoke``; ``intuit/v1/openid_connect/userinfo``; ``intuit/oauth2/v1/keys``
- ``qbo/v3/company/<realmId>/…``: the Accounting API (query, batch, companyinfo, entities)
"""

from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt

from integrations.sandbox.qbo import api_views, cdc, oauth_views

app_name = "sandbox_qbo"

API = "qbo/v3/company/<str:realm_id>/"

urlpatterns = [
    path(
        "intuit/.well-known/openid_configuration",
        oauth_views.discovery,
        name="discovery",
    ),
    path("intuit/.well-known/openid_configuration/", oauth_views.discovery),
    path("intuit/connect/oauth2", oauth_views.authorize, name="authorize"),
    path("intuit/oauth2/v1/tokens/bearer", oauth_views.token, name="token"),
    path("intuit/oauth2/v1/tokens/revoke", oauth_views.revoke, name="revoke"),
    path("intuit/v1/openid_connect/userinfo", oauth_views.userinfo, name="userinfo"),
    path("intuit/oauth2/v1/keys", oauth_views.jwks, name="jwks"),
    path(API + "query", api_views.query, name="query"),
    path(API + "batch", api_views.batch, name="batch"),
    path(API + "cdc", cdc.cdc, name="cdc"),
    path(API + "companyinfo/<str:info_id>", api_views.companyinfo, name="companyinfo"),
    path(API + "<str:entity_name>/<str:qbo_id>", api_views.entity_read, name="entity_read"),
    path(API + "<str:entity_name>", api_views.entity_write, name="entity_write"),
    re_path(
        r"^qbo/v3/company/(?P<realm_id>[^/]+)/(?P<rest>.+)$",
        csrf_exempt(api_views.not_supported),
    ),
]

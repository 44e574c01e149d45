"""Links to a Less Annoying CRM contact's page: LACRM's app, or the sandbox's page in demo mode."""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings

from integrations.record_links import sandbox_page, served_by_sandbox

# LACRM's contact page; ContactId is the contact's Uid (a long digit string).
CONTACT_PAGE = "https://account.lessannoyingcrm.com/app/View_Contact?ContactId={id}"


def record_url(record_id: str) -> str:
    if not record_id.isdigit():
        return ""
    if served_by_sandbox(settings.LACRM_API_URL):
        return sandbox_page("lacrm_contact", contact_id=record_id)
    return CONTACT_PAGE.format(id=quote(record_id))

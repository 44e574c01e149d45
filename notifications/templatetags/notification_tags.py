"""``{% notification_banners %}``: the dashboard's banners for the request's workspace."""

from __future__ import annotations

from django import template

from notifications.banners import banners

register = template.Library()


@register.inclusion_tag("notifications/_banners.html", takes_context=True)
def notification_banners(context) -> dict:
    request = context.get("request")
    return {"banners": banners(getattr(request, "workspace", None))}

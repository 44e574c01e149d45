"""``{% continuous_panel %}``: the dashboard's Keep-in-step card (and the read-budget banner)."""

from __future__ import annotations

from django import template

register = template.Library()


@register.inclusion_tag("continuous/_dashboard_card.html", takes_context=True)
def continuous_panel(context) -> dict:
    from sync.continuous.status import panel

    request = context.get("request")
    workspace = getattr(request, "workspace", None)
    user = getattr(request, "user", None)
    return {
        "panel": panel(workspace) if workspace is not None else None,
        "is_staff": bool(user and user.is_staff),
    }

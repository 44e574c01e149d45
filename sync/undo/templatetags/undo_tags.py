"""``{% undo_panel run %}``: the run page's undo box (offer, progress or "undone")."""

from __future__ import annotations

from django import template

from sync.undo import service
from sync.undo.registration import OUTCOMES

register = template.Library()


@register.inclusion_tag("undo/_run_undo.html")
def undo_panel(run):
    outcomes = [(label, help_text) for label, _, _, help_text in OUTCOMES.values()]
    return {"current": run, "state": service.state_of(run), "outcomes": outcomes}

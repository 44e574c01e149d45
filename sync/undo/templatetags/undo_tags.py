"""``{% undo_panel run %}``: the run page's undo box (offer, progress or "undone")."""

from __future__ import annotations

from django import template
from django.utils.safestring import mark_safe

from sync.undo import service
from sync.undo.registration import OUTCOMES

register = template.Library()


@register.inclusion_tag("undo/_run_undo.html")
def undo_panel(run):
    outcomes = [(label, help_text) for label, _, _, help_text in OUTCOMES.values()]
    return {"current": run, "state": service.state_of(run), "outcomes": outcomes}


@register.simple_tag
def undone_mark(run):
    """An "Undone" badge beside a run a completed undo took back (the run history)."""
    if run.status not in service.FINISHED or not service.is_undone(run):
        return ""
    return mark_safe(' <span class="badge ok undone-mark">Undone</span>')  # noqa: S308 - constant

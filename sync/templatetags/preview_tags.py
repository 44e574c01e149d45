"""Template tags of the contact preview: which preview a run applies."""

from __future__ import annotations

from django import template
from django.db.models import Count

from sync import outcomes
from sync.models import SyncLogEntry
from sync.preview.apply import preview_of
from sync.preview.decide import CHANGED, EXCLUDED

register = template.Library()


@register.simple_tag
def applied_preview(run):
    """The preview ``run`` applies and what the run left alone, or ``None`` for other runs."""
    preview = preview_of(run) if run is not None else None
    if preview is None:
        return None
    left = dict(
        SyncLogEntry.objects.filter(run=run, outcome__in=(CHANGED, EXCLUDED))
        .values_list("outcome")
        .annotate(n=Count("id"))
        .values_list("outcome", "n")
    )
    return {
        "preview": preview,
        "changed": left.get(CHANGED, 0),
        "excluded": left.get(EXCLUDED, 0),
        "changed_help": outcomes.help_text(CHANGED),
        "excluded_help": outcomes.help_text(EXCLUDED),
    }

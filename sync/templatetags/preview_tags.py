"""Template tags of the contact preview: which preview a run applies."""

from __future__ import annotations

from django import template

from sync.preview.apply import preview_of

register = template.Library()


@register.simple_tag
def applied_preview(run):
    """The preview ``run`` applies, or ``None``."""
    return preview_of(run) if run is not None else None

"""Template tags of the progress panel: the run as a person reads it (``sync.runview``)."""

from __future__ import annotations

from django import template

from sync import runview

register = template.Library()


@register.simple_tag
def run_story(run) -> runview.RunStory:
    """The resumed sync's total, elapsed time, ETA and the kind's notices for ``run``."""
    return runview.story(run)


@register.filter
def duration(value) -> str:
    """A ``timedelta`` as "3 min 20 s"."""
    return runview.duration_text(value)

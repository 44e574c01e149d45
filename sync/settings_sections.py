"""Other apps' cards on the workspace's settings page.

The sync app owns the page and its own settings; an app with settings of its own (invoice
summaries) registers a section: a title and a ModelForm whose instance belongs to the workspace.
Field names are unique across sections, so one POST carries them all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django import forms


@dataclass(frozen=True)
class SettingsSection:
    key: str
    title: str
    form_class: type[forms.ModelForm]
    # The workspace's settings row this section edits (created on first use).
    instance: Callable[[object], object]
    order: int = 100


_SECTIONS: dict[str, SettingsSection] = {}


def register(section: SettingsSection) -> None:
    _SECTIONS[section.key] = section


def sections() -> list[SettingsSection]:
    return sorted(_SECTIONS.values(), key=lambda s: (s.order, s.key))


def bound_forms(workspace, data=None) -> list[tuple[SettingsSection, forms.ModelForm]]:
    """Each registered section's form for the workspace, bound to ``data`` when given."""
    return [(s, s.form_class(data, instance=s.instance(workspace))) for s in sections()]

"""The home page is assembled from panels that chapters register, so core imports no chapter.

A panel is a template and a function ``(request) -> context | None``; None hides the panel (the
user's roles have nothing to show there). Panels appear in ``order``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PanelContext = Callable[[Any], dict[str, Any] | None]


@dataclass(frozen=True)
class Panel:
    key: str
    template: str
    context: PanelContext
    order: int = 100


PANELS: dict[str, Panel] = {}


def register(panel: Panel) -> None:
    PANELS[panel.key] = panel


def panels_for(request) -> list[dict[str, Any]]:
    rendered = []
    for panel in sorted(PANELS.values(), key=lambda p: p.order):
        context = panel.context(request)
        if context is not None:
            rendered.append({"key": panel.key, "template": panel.template, **context})
    return rendered

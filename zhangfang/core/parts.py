"""Apps too big for one ``views.py`` keep one views module per part of their chapter; their
``urls.py`` collects each part's ``urlpatterns`` with :func:`collect_urlpatterns`."""

from __future__ import annotations

import pkgutil
from collections.abc import Iterable
from importlib import import_module


def collect_urlpatterns(package: str, parts: Iterable[str]) -> list:
    """The ``urlpatterns`` of ``<package>.<part>`` for each part that exists.

    A part not built yet is skipped; an import error inside an existing module still fails loudly.
    """
    patterns: list = []
    for part in parts:
        name = f"{package}.{part}"
        try:
            module = import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        patterns += module.urlpatterns
    return patterns


def import_wiring(app_package: str) -> None:
    """Import every module of ``<app_package>.wiring``: each registers what one part of the
    chapter adds to the shared mechanisms (policy settings, client tabs, home panels).

    Called from ``AppConfig.ready()``, so adding a part never edits a file another part owns.
    """
    package = import_module(f"{app_package}.wiring")
    for module in pkgutil.iter_modules(package.__path__):
        import_module(f"{package.__name__}.{module.name}")

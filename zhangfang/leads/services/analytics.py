"""Writes of the analytics part: only the audit of exports (every export is audited)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from zhangfang.core import audit


def funnel_exported(*, period_label: str, rows: int, by) -> None:
    """Record that ``by`` exported the funnel tables of ``period_label`` (``rows`` rows)."""
    audit.record(
        action="export",
        by=by,
        object_type="leads.prospect",
        object_repr=_("客户开发漏斗"),
        detail=_("导出 %(period)s 的漏斗表，共 %(rows)s 行")
        % {"period": period_label, "rows": rows},
    )

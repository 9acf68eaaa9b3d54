"""The leads chapter's home panel: my prospects by stage and the best-scored open ones."""

from __future__ import annotations

from zhangfang.core.dashboard import Panel, register
from zhangfang.core.roles import Role, has_role
from zhangfang.leads.selectors import prospects as selectors


def _my_prospects(request):
    if not has_role(request.user, Role.SALES, Role.DEPARTMENT_HEAD):
        return None
    return {
        "counts": selectors.prospect_stage_counts(user=request.user),
        "top": selectors.top_open_prospects(user=request.user, limit=5),
    }


register(Panel("my_prospects", "leads/prospect_panel_mine.html", _my_prospects, order=15))

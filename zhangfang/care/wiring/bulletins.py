"""Policy bulletins' wiring (policy 四（二）1): how many messages a publish sends at once before
leaving them to the ``deliver_bulletins`` job.

The client page's section of bulletins received (``care/_client_bulletins.html`` with
``selectors.bulletins.client_bulletins``) is placed on the 关系维护 tab by that tab's owner.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from zhangfang.core import policy

SEND_NOW_LIMIT = "care.bulletin_send_now_limit"

policy.register(
    policy.PolicyValue(
        SEND_NOW_LIMIT,
        _("政策资讯即时发送上限"),
        "int",
        200,
        unit=_("条"),
        clause="四（二）1",
        minimum=0,
        maximum=2000,
        help_text=_(
            "发布政策资讯时，待发送的邮件、短信和微信消息不超过此数量时立即发送；"
            "超过时由后台任务 deliver_bulletins 分批发送。"
        ),
    ),
)

"""The service team's wiring (policy 三（一）): when a client's team changes, the replaced
member's open work and requests for that client move to the new member."""

from __future__ import annotations

from zhangfang.clients import team_hooks
from zhangfang.delivery.services.team_moves import move_open_work

team_hooks.register(move_open_work)

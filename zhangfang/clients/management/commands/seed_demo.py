"""Load the demo firm into an empty installation; on any later start, only list the logins.

``scripts/serve`` calls this on every start, so it must be safe to repeat: once any client exists
it changes nothing.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from zhangfang.billing.demo import build_demo_billing
from zhangfang.care.demo import build_demo_care
from zhangfang.clients.demo import (
    DEMO_SEED,
    build_demo_firm,
    existing_demo_logins,
    format_logins,
)
from zhangfang.clients.models import Client
from zhangfang.complaints.demo import build_demo_complaints
from zhangfang.contracts.demo import build_demo_price_list
from zhangfang.contracts.demo_workflow import build_demo_contract_workflow
from zhangfang.delivery.demo import build_demo_work
from zhangfang.leads.demo import PROSPECTS_PER_CLIENT, build_demo_leads


class Command(BaseCommand):
    help = (
        "创建演示数据（部门、各角色员工、客户及联系人、潜在客户、合同与一年的收费记录、"
        "一年的记账报税工作、质检和满意度调查、回访、政策资讯、祝福、客户活动和客户投诉）；"
        "已有客户时不做任何改动。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clients", type=int, default=200, help="客户数量（默认 200）。")
        parser.add_argument(
            "--seed", type=int, default=DEMO_SEED, help="随机种子：相同种子生成相同的数据。"
        )
        parser.add_argument(
            "--prospects",
            type=int,
            default=None,
            help=f"潜在客户数量（默认为客户数量的 {PROSPECTS_PER_CLIENT} 倍；0 表示不创建）。",
        )

    def handle(self, *args, clients: int, seed: int, prospects: int | None, **options) -> None:
        if clients < 1:
            raise CommandError("--clients 至少为 1。")
        if prospects is None:
            prospects = clients * PROSPECTS_PER_CLIENT
        if prospects < 0:
            raise CommandError("--prospects 不能为负数。")
        existing = Client.objects.count()
        if existing:
            self.stdout.write(f"已有 {existing} 个客户，未创建演示数据。")
            logins = existing_demo_logins()
            if logins:
                self.stdout.write("演示账号（初始密码，若已修改以修改后为准）：")
                self._print_logins(logins)
            return
        # One transaction: a failure leaves an empty installation, so the next start retries.
        with transaction.atomic():
            logins = build_demo_firm(clients=clients, seed=seed, stdout=self.stdout)
            build_demo_price_list()
            build_demo_billing(stdout=self.stdout)
            if prospects:
                build_demo_leads(prospects=prospects, seed=seed, stdout=self.stdout)
            build_demo_contract_workflow(stdout=self.stdout)
            build_demo_work(stdout=self.stdout)
            build_demo_care(stdout=self.stdout)
            build_demo_complaints(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("演示账号（用户名 / 密码  角色）："))
        self._print_logins(logins)

    def _print_logins(self, logins: list[tuple[str, str, str]]) -> None:
        for line in format_logins(logins):
            self.stdout.write("  " + line)

"""A deterministic demo firm: departments, staff in every role, clients, teams and contacts.

``build_demo_firm`` is what ``manage.py seed_demo`` loads on a fresh installation and what
``manage.py benchmark`` loads at scale. The same seed gives the same firm on every run, so a demo
script, a screenshot or a benchmark figure can be reproduced.

The firm grows with the number of clients the way a 代账公司 does: one 代账部 per ~1,500 clients
(at least two), each a full team (a head, accountants at ~50 clients each, tax specialists,
customer service and sales), plus 财务部 and 综合管理部. Every client's team is drawn from its own
department, so the data scope of each role shows something meaningful.

Rows are written with ``bulk_create``, which calls no service, so everything a service would
derive (the pinyin search keys, a contact's birthday from the 身份证号) is set here.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction

from zhangfang.clients.models import (
    Client,
    ClientStatus,
    ClientTag,
    Contact,
    ContactRole,
    ImportanceTier,
    TaxpayerType,
)
from zhangfang.core import sample_data
from zhangfang.core.roles import Role
from zhangfang.core.search import pinyin_keys
from zhangfang.staff.models import Department, User

DEMO_PASSWORD = "Zhangfang#2026"
DEMO_SEED = 2026
HUAWEI_NAME = "华为技术有限公司"
HUAWEI_SHORT_NAME = "华为"

#: Usernames the demo firm uses, so a later start can list the logins it finds again.
DEMO_USERNAME_PREFIXES = ("admin", "finance", "head", "acct", "tax", "service", "sales")

CLIENTS_PER_DEPARTMENT = 1500
CLIENTS_PER_ACCOUNTANT = 50
CLIENTS_PER_TAX_SPECIALIST = 300
CLIENTS_PER_CUSTOMER_SERVICE = 300
CLIENTS_PER_SALES = 400
BATCH_SIZE = 1000

_NUMERALS = "一二三四五六七八九十"
_FINANCE_DEPARTMENT = ("财务部", "收费标准、开票收款、费用台账与对账")
_ADMIN_DEPARTMENT = ("综合管理部", "系统管理、人事行政与制度维护")

_STATUS_WEIGHTS = [
    (ClientStatus.ACTIVE, 80),
    (ClientStatus.PROSPECT, 8),
    (ClientStatus.SUSPENDED, 6),
    (ClientStatus.TERMINATED, 6),
]
_TIER_WEIGHTS = {
    TaxpayerType.GENERAL: [
        (ImportanceTier.KEY, 30),
        (ImportanceTier.STANDARD, 50),
        (ImportanceTier.BASIC, 20),
    ],
    TaxpayerType.SMALL: [
        (ImportanceTier.KEY, 5),
        (ImportanceTier.STANDARD, 45),
        (ImportanceTier.BASIC, 50),
    ],
}
#: Demo tags (policy 四（二）1 targets bulletins by tag): the name, the industries (GB/T 4754
#: sections) and taxpayer type it suits (``None``: any), and the share of those that carry it.
DEMO_TAGS: list[tuple[str, frozenset[str] | None, str | None, float]] = [
    ("高新技术企业", frozenset({"C", "I", "M"}), None, 0.35),
    ("研发费用加计扣除", frozenset({"C", "I", "M"}), None, 0.3),
    ("出口退税", frozenset({"C", "F"}), None, 0.2),
    ("连锁门店", frozenset({"F", "H", "O"}), None, 0.2),
    ("小型微利企业", None, TaxpayerType.SMALL, 0.25),
]
#: Shares of contacts (with a known date of birth) who celebrate the 农历 date, and of all
#: contacts who asked not to be greeted.
LUNAR_BIRTHDAY_SHARE = 0.25
CONTACT_EMAIL_SHARE = 0.7
GREETINGS_OPT_OUT_SHARE = 0.05

_CONTACT_TITLES = {
    ContactRole.LEGAL_REPRESENTATIVE: ["总经理", "执行董事", "董事长"],
    ContactRole.FINANCE_MANAGER: ["财务经理", "财务主管", "出纳"],
    ContactRole.TAX_AGENT: ["会计", "出纳", "行政专员"],
    ContactRole.CONTACT: ["行政主管", "总经理助理", "办公室主任", "人事专员"],
}
_ROLE_TITLES = {
    Role.ADMIN: "系统管理员",
    Role.FINANCE: "财务主管",
    Role.DEPARTMENT_HEAD: "部门经理",
    Role.ACCOUNTANT: "主办会计",
    Role.TAX_SPECIALIST: "税务专员",
    Role.CUSTOMER_SERVICE: "客服专员",
    Role.SALES: "客户经理",
}
#: Order in which logins are listed: the people a demo starts with first.
_ROLE_ORDER = [
    Role.ADMIN,
    Role.FINANCE,
    Role.DEPARTMENT_HEAD,
    Role.ACCOUNTANT,
    Role.TAX_SPECIALIST,
    Role.CUSTOMER_SERVICE,
    Role.SALES,
]


@dataclass
class _StaffPlan:
    username: str
    name: str
    role: Role
    department: str | None
    mobile: str


@dataclass
class _Team:
    department: str
    head: str
    accountants: list[str] = field(default_factory=list)
    tax_specialists: list[str] = field(default_factory=list)
    customer_service: list[str] = field(default_factory=list)
    sales: list[str] = field(default_factory=list)


def _weighted(rng: random.Random, pairs: list[tuple]) -> object:
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def _service_department_name(index: int) -> str:
    if index < len(_NUMERALS):
        return f"代账{_NUMERALS[index]}部"
    return f"代账{index + 1}部"


def _plan_staff(
    rng: random.Random, clients: int
) -> tuple[list[tuple[str, str]], list[_StaffPlan], list[_Team]]:
    """Departments ``(name, description)``, the staff and the team of each service department."""
    department_count = max(2, math.ceil(clients / CLIENTS_PER_DEPARTMENT))
    per_department = math.ceil(clients / department_count)
    departments: list[tuple[str, str]] = []
    staff: list[_StaffPlan] = []
    teams: list[_Team] = []
    used_names: set[str] = set()
    counters: dict[str, int] = {}

    def person(prefix: str, role: Role, department: str | None, *, numbered: bool = True) -> str:
        counters[prefix] = counters.get(prefix, 0) + 1
        username = f"{prefix}{counters[prefix]}" if numbered else prefix
        name = sample_data.person_name(rng)
        while name in used_names:
            name = sample_data.person_name(rng)
        used_names.add(name)
        staff.append(_StaffPlan(username, name, role, department, sample_data.mobile(rng)))
        return username

    departments.append(_ADMIN_DEPARTMENT)
    person("admin", Role.ADMIN, _ADMIN_DEPARTMENT[0], numbered=False)
    departments.append(_FINANCE_DEPARTMENT)
    person("finance", Role.FINANCE, _FINANCE_DEPARTMENT[0], numbered=False)
    for _ in range(clients // 5000):
        person("finance", Role.FINANCE, _FINANCE_DEPARTMENT[0])

    for index in range(department_count):
        name = _service_department_name(index)
        departments.append((name, "记账报税、财务报表与客户服务"))
        team = _Team(department=name, head=person("head", Role.DEPARTMENT_HEAD, name))
        for _ in range(max(3, math.ceil(per_department / CLIENTS_PER_ACCOUNTANT))):
            team.accountants.append(person("acct", Role.ACCOUNTANT, name))
        for _ in range(max(1, math.ceil(per_department / CLIENTS_PER_TAX_SPECIALIST))):
            team.tax_specialists.append(person("tax", Role.TAX_SPECIALIST, name))
        for _ in range(max(1, math.ceil(per_department / CLIENTS_PER_CUSTOMER_SERVICE))):
            team.customer_service.append(person("service", Role.CUSTOMER_SERVICE, name))
        for _ in range(max(1, math.ceil(per_department / CLIENTS_PER_SALES))):
            team.sales.append(person("sales", Role.SALES, name))
        teams.append(team)
    return departments, staff, teams


def _plan_contacts(rng: random.Random, legal_representative: str, district_code: str) -> list[dict]:
    count = rng.choices((1, 2, 3), weights=(35, 45, 20))[0]
    others = [ContactRole.FINANCE_MANAGER, ContactRole.TAX_AGENT, ContactRole.CONTACT]
    if rng.random() < 0.6:
        roles = [ContactRole.LEGAL_REPRESENTATIVE, *rng.sample(others, count - 1)]
    else:
        roles = rng.sample(others, count)
    contacts = []
    for position, role in enumerate(roles):
        is_legal = role == ContactRole.LEGAL_REPRESENTATIVE
        mobile = sample_data.mobile(rng)
        id_number = ""
        birthday = None
        if rng.random() < (0.7 if is_legal else 0.3):
            birthday = sample_data.date_between(rng, dt.date(1960, 1, 1), dt.date(2000, 12, 31))
            id_number = sample_data.resident_id(rng, district_code, birthday)
        contacts.append(
            {
                "name": legal_representative if is_legal else sample_data.person_name(rng),
                "role": role,
                "title": rng.choice(_CONTACT_TITLES[role]),
                "mobile": mobile,
                "wechat": mobile[3:] if rng.random() < 0.3 else "",
                "id_number": id_number,
                "birthday": birthday,
                "is_primary": position == 0,
            }
        )
    return contacts


def _plan_client(rng: random.Random, company: tuple[str, str, str, str], team: _Team) -> dict:
    name, short_name, industry, area = company
    city = sample_data.city_of(area)
    district_name, district_code = sample_data.district(rng, city)
    status = _weighted(rng, _STATUS_WEIGHTS)
    taxpayer_type = TaxpayerType.GENERAL if rng.random() < 0.3 else TaxpayerType.SMALL
    legal_representative = sample_data.person_name(rng)
    bank_name, bank_account = ("", "")
    if status != ClientStatus.PROSPECT and rng.random() < 0.8:
        bank_name, bank_account = sample_data.bank(rng, city, district_name)
    served = status != ClientStatus.PROSPECT
    return {
        "name": name,
        "short_name": short_name,
        "status": status,
        "taxpayer_type": taxpayer_type,
        "industry": industry,
        "tier": _weighted(rng, _TIER_WEIGHTS[taxpayer_type]),
        "legal_representative": legal_representative,
        "registered_capital": Decimal(sample_data.registered_capital(rng)).quantize(
            Decimal("0.01")
        ),
        "established_on": sample_data.date_between(rng, dt.date(2008, 1, 1), dt.date(2025, 12, 31)),
        "address": sample_data.address(rng, city, district_name),
        "phone": sample_data.landline(rng, city) if rng.random() < 0.6 else "",
        "bank_name": bank_name,
        "bank_account": bank_account,
        "area": area,
        # The district of the address: local bulletins (policy 四（二）1) target it.
        "region": district_name,
        "department": team.department,
        "sales_owner": rng.choice(team.sales),
        # A prospect has no service team yet: only the salesperson who is winning it.
        "accountant": rng.choice(team.accountants) if served else None,
        "tax_specialist": rng.choice(team.tax_specialists) if served else None,
        "customer_service": rng.choice(team.customer_service) if served else None,
        "contacts": _plan_contacts(rng, legal_representative, district_code),
    }


def plan_demo_firm(*, clients: int, seed: int = DEMO_SEED) -> dict:
    """The demo firm as plain data (no database): the same ``seed`` gives the same plan."""
    rng = random.Random(seed)
    departments, staff, teams = _plan_staff(rng, clients)
    names: set[str] = {HUAWEI_NAME}
    codes: set[str] = set()

    def unique_uscc(area: str) -> str:
        code = sample_data.uscc(rng, area)
        while code in codes:
            code = sample_data.uscc(rng, area)
        codes.add(code)
        return code

    planned: list[dict] = []
    if clients > 0:
        # The pinyin demo: ``hwjs`` finds it. Its code comes from the algorithm, not the real one.
        first = teams[0]
        huawei = _plan_client(rng, (HUAWEI_NAME, HUAWEI_SHORT_NAME, "I", "440300"), first)
        huawei.update(
            status=ClientStatus.ACTIVE,
            taxpayer_type=TaxpayerType.GENERAL,
            tier=ImportanceTier.KEY,
            registered_capital=Decimal("40336660000.00"),
            established_on=dt.date(1987, 9, 15),
            address="广东省深圳市龙岗区坂田街道华为基地",
            region="龙岗区",
            sales_owner=first.sales[0],
            accountant=first.accountants[0],
            tax_specialist=first.tax_specialists[0],
            customer_service=first.customer_service[0],
        )
        huawei["uscc"] = unique_uscc("440300")
        planned.append(huawei)
    for index in range(1, clients):
        company = sample_data.company(rng)
        while company[0] in names:
            company = sample_data.company(rng)
        names.add(company[0])
        entry = _plan_client(rng, company, teams[index % len(teams)])
        entry["uscc"] = unique_uscc(entry["area"])
        planned.append(entry)
    # Tags and greeting preferences draw from their own generator, so adding them left every
    # other value of the plan (names, codes, teams) as the seed gave it before.
    extras = random.Random(f"{seed}:care")
    for entry in planned:
        _plan_care_extras(extras, entry)
    return {"departments": departments, "staff": staff, "clients": planned}


def _plan_care_extras(rng: random.Random, entry: dict) -> None:
    """A client's tags and its contacts' greeting preferences (policy 四（二）)."""
    entry["tags"] = [
        name
        for name, industries, taxpayer_type, share in DEMO_TAGS
        if (industries is None or entry["industry"] in industries)
        and (taxpayer_type is None or entry["taxpayer_type"] == taxpayer_type)
        and rng.random() < share
    ]
    for contact in entry["contacts"]:
        # A lunar birthday is converted from the date of birth, so only contacts with one.
        contact["birthday_lunar"] = (
            contact["birthday"] is not None and rng.random() < LUNAR_BIRTHDAY_SHARE
        )
        contact["greetings_opt_out"] = rng.random() < GREETINGS_OPT_OUT_SHARE
        # Most contacts give an e-mail address (bulletins, greetings and invitations go there);
        # example.com is reserved, so the demo never mails a real person.
        if rng.random() < CONTACT_EMAIL_SHARE:
            contact["email"] = f"{contact['mobile'][-8:]}@example.com"


def _say(stdout: IO[str] | None, message: str) -> None:
    if stdout is not None:
        stdout.write(message + "\n")


def _logins(members: Iterable[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """``(username, role code)`` pairs as logins, the people a demo starts with first."""

    def key(member: tuple[str, str]) -> tuple[int, int, str]:
        username, role = member
        rank = _ROLE_ORDER.index(role) if role in _ROLE_ORDER else len(_ROLE_ORDER)
        digits = "".join(ch for ch in username if ch.isdigit())
        return (rank, int(digits or 0), username)

    return [
        (username, DEMO_PASSWORD, str(Role(role).label))
        for username, role in sorted(members, key=key)
    ]


@transaction.atomic
def build_demo_firm(
    *, clients: int, seed: int = DEMO_SEED, stdout: IO[str] | None = None
) -> list[tuple[str, str, str]]:
    """Write the demo firm and return its logins as ``(username, password, role label)``.

    Departments and users that already exist (matched by name and username) are reused as they
    are, passwords included; only what is missing is created.
    """
    started = time.perf_counter()
    plan = plan_demo_firm(clients=clients, seed=seed)

    departments = {}
    for name, description in plan["departments"]:
        departments[name], _ = Department.objects.get_or_create(
            name=name, defaults={"description": description}
        )

    staff_plans: list[_StaffPlan] = plan["staff"]
    existing = User.objects.in_bulk([p.username for p in staff_plans], field_name="username")
    # Argon2 is deliberately slow: hash the shared demo password once for every new user.
    password_hash = make_password(DEMO_PASSWORD)
    new_users = [
        User(
            username=p.username,
            name=p.name,
            department=departments[p.department] if p.department else None,
            mobile=p.mobile,
            title=_ROLE_TITLES[p.role],
            email=f"{p.username}@example.com",
            is_staff=p.role == Role.ADMIN,
            password=password_hash,
        )
        for p in staff_plans
        if p.username not in existing
    ]
    User.objects.bulk_create(new_users, batch_size=BATCH_SIZE)
    users = User.objects.in_bulk([p.username for p in staff_plans], field_name="username")
    groups = {code: Group.objects.get_or_create(name=code)[0] for code in Role.values}
    Membership = User.groups.through
    Membership.objects.bulk_create(
        [Membership(user_id=users[p.username].pk, group_id=groups[p.role].pk) for p in staff_plans],
        batch_size=BATCH_SIZE,
        ignore_conflicts=True,
    )

    def user(username: str | None) -> User | None:
        return users[username] if username else None

    tags = {name: ClientTag.objects.get_or_create(name=name)[0] for name, *_rule in DEMO_TAGS}
    ClientTags = Client.tags.through
    client_rows: list[Client] = []
    contact_plans: list[list[dict]] = []
    tag_plans: list[list[str]] = []
    for entry in plan["clients"]:
        client_rows.append(
            Client(
                name=entry["name"],
                short_name=entry["short_name"],
                uscc=entry["uscc"],
                status=entry["status"],
                taxpayer_type=entry["taxpayer_type"],
                industry=entry["industry"],
                tier=entry["tier"],
                legal_representative=entry["legal_representative"],
                registered_capital=entry["registered_capital"],
                established_on=entry["established_on"],
                address=entry["address"],
                region=entry["region"],
                phone=entry["phone"],
                bank_name=entry["bank_name"],
                bank_account=entry["bank_account"],
                department=departments[entry["department"]],
                sales_owner=user(entry["sales_owner"]),
                accountant=user(entry["accountant"]),
                tax_specialist=user(entry["tax_specialist"]),
                customer_service=user(entry["customer_service"]),
                search_pinyin=pinyin_keys(entry["name"], entry["short_name"]),
            )
        )
        contact_plans.append(entry["contacts"])
        tag_plans.append(entry["tags"])

    contact_count = 0
    for start in range(0, len(client_rows), BATCH_SIZE):
        batch = Client.objects.bulk_create(client_rows[start : start + BATCH_SIZE])
        contacts = [
            Contact(client=client, **contact)
            for client, planned in zip(
                batch, contact_plans[start : start + BATCH_SIZE], strict=True
            )
            for contact in planned
        ]
        Contact.objects.bulk_create(contacts, batch_size=BATCH_SIZE)
        contact_count += len(contacts)
        ClientTags.objects.bulk_create(
            [
                ClientTags(client_id=client.pk, clienttag_id=tags[name].pk)
                for client, names in zip(batch, tag_plans[start : start + BATCH_SIZE], strict=True)
                for name in names
            ],
            batch_size=BATCH_SIZE,
        )

    _say(
        stdout,
        f"演示数据已创建：{len(departments)} 个部门、{len(staff_plans)} 名员工"
        f"（新建 {len(new_users)} 名）、{len(client_rows)} 个客户、{contact_count} 个联系人，"
        f"用时 {time.perf_counter() - started:.1f} 秒。",
    )
    return _logins((p.username, p.role) for p in staff_plans)


def existing_demo_logins() -> list[tuple[str, str, str]]:
    """Logins of the demo users found in the database, for a start that seeds nothing."""
    found: list[tuple[str, str]] = []
    users = User.objects.filter(is_active=True).prefetch_related("groups").order_by("username")
    for member in users:
        if member.username.rstrip("0123456789") not in DEMO_USERNAME_PREFIXES:
            continue
        roles = [role for role in _ROLE_ORDER if role in {g.name for g in member.groups.all()}]
        if roles:
            found.append((member.username, roles[0]))
    return _logins(found)


def format_logins(logins: Iterable[tuple[str, str, str]], *, limit: int = 40) -> list[str]:
    """Lines ``username / password  role`` to print; a large firm shows a few of each role."""
    logins = list(logins)
    if len(logins) <= limit:
        return [f"{username} / {password}  {role}" for username, password, role in logins]
    lines: list[str] = []
    shown: dict[str, int] = {}
    for username, password, role in logins:
        shown[role] = shown.get(role, 0) + 1
        if shown[role] <= 2:
            lines.append(f"{username} / {password}  {role}")
    summary = "、".join(f"{role} {count} 个" for role, count in shown.items())
    lines.append(f"……共 {len(logins)} 个演示账号（{summary}），密码相同。")
    return lines

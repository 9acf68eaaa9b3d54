"""The demo firm's year of relationship maintenance: return visits by tier (with problems forwarded
and reported back), monthly policy bulletins with who received and opened them, birthday and
holiday greetings, and client events with RSVPs, attendance and feedback.

Rows are written in bulk with the rules the services keep: a client has at most one visit
planned, a closed problem has a result and was reported to the client, a greeting is sent once per
contact and occasion, an event's accepted attendees fit its capacity.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from typing import IO

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from zhangfang.care.models import (
    Bulletin,
    BulletinCategory,
    BulletinDelivery,
    BulletinStatus,
    ClientEvent,
    DateRule,
    DeliveryChannel,
    DeliveryStatus,
    EventKind,
    EventStatus,
    GreetingDay,
    GreetingKind,
    GreetingSend,
    GreetingStatus,
    GreetingTemplate,
    Invitation,
    ProblemStatus,
    ReturnVisit,
    ReturnVisitStatus,
    RsvpStatus,
    VisitMethod,
    VisitProblem,
)
from zhangfang.care.services.visits import (
    Schedule,
    interval_months,
    next_due_on,
    on_or_after_working_day,
)
from zhangfang.clients.models import Client, ClientStatus, Contact
from zhangfang.core.calendar import (
    add_months,
    add_working_days,
    lunar_anniversaries,
    lunar_to_solar,
    qingming,
    solar_to_lunar,
)
from zhangfang.staff.models import User
from zhangfang.staff.selectors import first_head_by_department

BATCH_SIZE = 2000

_OPINIONS = [
    ("对会计的专业能力很满意。", ""),
    ("希望每月申报前提前告知税款。", "希望每月申报前提前三天告知应缴税款"),
    ("发票整理的要求能否出一个清单。", "需要一份每月收票资料清单"),
    ("报表寄送有时较晚。", "纸质报表寄送较晚，希望改为电子版先发"),
    ("整体服务不错，沟通及时。", ""),
    ("想了解研发费用加计扣除政策。", "咨询研发费用加计扣除，需要税务专员讲解"),
]

_BULLETINS = [
    (BulletinCategory.TAX, "小规模纳税人增值税减免政策延续的解读", {}),
    (BulletinCategory.TAX, "一般纳税人增值税留抵退税申请指引", {"taxpayer_types": ["general"]}),
    (BulletinCategory.FINANCE, "小企业会计准则年末结账注意事项", {}),
    (BulletinCategory.SOCIAL, "社保缴费基数年度调整通知", {}),
    (BulletinCategory.TAX, "研发费用加计扣除政策问答", {"industries": ["I", "M", "C"]}),
    (BulletinCategory.NOTICE, "工商年报（企业信用信息公示）6月30日截止提醒", {}),
    (BulletinCategory.TAX, "个人所得税综合所得汇算清缴办理指南", {}),
    (BulletinCategory.INDUSTRY, "批发零售企业发票管理新规", {"industries": ["F"]}),
    (BulletinCategory.TAX, "企业所得税汇算清缴常见调整事项", {}),
    (BulletinCategory.TAX, "印花税申报期限与税目说明", {}),
    (BulletinCategory.FINANCE, "电子发票入账归档要求", {}),
    (BulletinCategory.NOTICE, "国庆假期申报期限顺延提醒", {}),
]

_EVENTS = [
    (EventKind.TRAINING, "个税汇算清缴实务培训", 10),
    (EventKind.SEMINAR, "年度客户座谈会", 8),
    (EventKind.FORUM, "制造业研发费用加计扣除研讨会", 5),
    (EventKind.TRAINING, "金税四期下的发票合规讲座", 2),
]


def _local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(
        day, dt.time(hour, minute), tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE)
    )


@transaction.atomic
def build_demo_care(
    *, seed: int = 2026, today: dt.date | None = None, stdout: IO[str] | None = None
) -> dict[str, int]:
    """A year of visits, bulletins, greetings and events; nothing when visits exist already."""
    if ReturnVisit.objects.exists():
        return {}
    rng = random.Random(seed)
    today = today or timezone.localdate()
    clients = list(
        Client.objects.filter(status=ClientStatus.ACTIVE)
        .only(
            "pk",
            "tier",
            "department_id",
            "customer_service_id",
            "created_at",
            "industry",
            "taxpayer_type",
        )
        .order_by("pk")
    )
    contacts: dict[int, list[Contact]] = {}
    for contact in Contact.objects.filter(client__status=ClientStatus.ACTIVE).order_by(
        "-is_primary", "pk"
    ):
        contacts.setdefault(contact.client_id, []).append(contact)
    counts: dict[str, int] = {}
    counts.update(_visits(clients, contacts, today, rng))
    counts.update(_bulletins(clients, contacts, today, rng))
    counts.update(_greetings(clients, contacts, today))
    counts.update(_events(clients, contacts, today, rng))
    if stdout is not None:
        stdout.write(
            f"关系维护：回访 {counts['visits']:,} 次（问题 {counts['problems']:,} 个），"
            f"政策资讯 {counts['bulletins']} 篇，祝福 {counts['greetings']:,} 条，"
            f"客户活动 {counts['events']} 场"
        )
    return counts


def _visits(clients, contacts, today, rng) -> dict[str, int]:
    """Visits over the last year at each client's interval, mostly on time; one planned next."""
    heads = first_head_by_department()
    visits, problems = [], []
    schedule = Schedule.current()
    for client in clients:
        start = timezone.localtime(client.created_at).date()
        months = interval_months(client, service_start=start, today=today, schedule=schedule)
        staff_id = client.customer_service_id or getattr(
            heads.get(client.department_id), "pk", None
        )
        # The year's first visit falls somewhere in the client's first interval.
        offset = rng.randrange(months * 30)
        due = on_or_after_working_day(today - dt.timedelta(days=365 - offset))
        while True:
            if due >= today - dt.timedelta(days=rng.randrange(0, 20)):
                visits.append(
                    ReturnVisit(
                        client_id=client.pk,
                        due_on=due,
                        staff_id=staff_id,
                        status=ReturnVisitStatus.PLANNED,
                    )
                )
                break
            late = rng.random() < 0.12
            visited_on = (
                add_working_days(due, rng.randrange(2, 10))
                if late
                else add_working_days(due, -rng.randrange(0, 3))
            )
            visited_on = min(visited_on, today)
            # About one visit in seven raises a problem for a department.
            raises_problem = rng.random() < 0.15
            opinion, problem = rng.choice([o for o in _OPINIONS if bool(o[1]) == raises_problem])
            people = contacts.get(client.pk, [])
            visit = ReturnVisit(
                client_id=client.pk,
                due_on=due,
                staff_id=staff_id,
                status=ReturnVisitStatus.DONE,
                method=rng.choice(
                    [VisitMethod.PHONE] * 6 + [VisitMethod.EMAIL] * 2 + [VisitMethod.ON_SITE] * 2
                ),
                contact=people[0] if people else None,
                visited_at=_local(visited_on, 9 + rng.randrange(8), rng.randrange(60)),
                satisfaction=rng.choices((5, 4, 3, 2), weights=(50, 35, 11, 4))[0],
                opinions=opinion,
                summary="了解本季度账务和申报情况，客户无异议。"
                if not problem
                else "记录客户问题并转交相关部门。",
                recorded_by_id=staff_id,
            )
            visits.append(visit)
            if problem and client.department_id:
                closed = (today - visited_on).days > 14
                resolved_on = add_working_days(visited_on, rng.randrange(1, 4))
                problems.append(
                    (
                        visit,
                        VisitProblem(
                            description=problem,
                            department_id=client.department_id,
                            assignee=heads.get(client.department_id),
                            due_on=add_working_days(visited_on, 3),
                            status=ProblemStatus.CLOSED if closed else ProblemStatus.FORWARDED,
                            result="已安排专人处理并落实。" if closed else "",
                            resolved_by=heads.get(client.department_id) if closed else None,
                            resolved_at=_local(resolved_on, 15) if closed else None,
                            informed_how="电话告知" if closed else "",
                            informed_by_id=staff_id if closed else None,
                            informed_at=_local(add_working_days(resolved_on, 1), 10)
                            if closed
                            else None,
                        ),
                    )
                )
            # The next visit is due an interval after this one was made, as the planner does.
            due = next_due_on(
                client, service_start=start, last_visit=visited_on, today=today, schedule=schedule
            )
    ReturnVisit.objects.bulk_create(visits, batch_size=BATCH_SIZE)
    for visit, problem in problems:
        problem.visit_id = visit.pk
    VisitProblem.objects.bulk_create([p for _v, p in problems], batch_size=BATCH_SIZE)
    return {"visits": len(visits), "problems": len(problems)}


def _bulletins(clients, contacts, today, rng) -> dict[str, int]:
    """A bulletin a month, targeted, delivered to the client record and by e-mail."""
    author = User.objects.filter(groups__name="tax", is_active=True).order_by("pk").first()
    deliveries = []
    for months_back, (category, title, target) in enumerate(_BULLETINS):
        sent_on = on_or_after_working_day(
            today - dt.timedelta(days=30 * (len(_BULLETINS) - months_back))
        )
        sent_at = _local(sent_on, 10)
        bulletin = Bulletin.objects.create(
            title=title,
            category=category,
            summary=f"{title}：要点摘要与办理提示。",
            body=f"{title}。\n\n一、政策要点……\n二、适用范围……\n三、办理提示：如有疑问请联系您的专属会计。",
            source="国家税务总局公告",
            target_industries=target.get("industries", []),
            target_taxpayer_types=target.get("taxpayer_types", []),
            channels=["email"],
            status=BulletinStatus.SENT,
            created_by=author,
            sent_by=author,
            sent_at=sent_at,
        )
        for client in clients:
            if target.get("industries") and client.industry not in target["industries"]:
                continue
            if (
                target.get("taxpayer_types")
                and client.taxpayer_type not in target["taxpayer_types"]
            ):
                continue
            deliveries.append(
                BulletinDelivery(
                    bulletin=bulletin,
                    client_id=client.pk,
                    channel=DeliveryChannel.RECORD,
                    status=DeliveryStatus.SENT,
                    sent_at=sent_at,
                )
            )
            people = contacts.get(client.pk, [])
            contact = people[0] if people else None
            if contact is None or not contact.email:
                deliveries.append(
                    BulletinDelivery(
                        bulletin=bulletin,
                        client_id=client.pk,
                        contact=contact,
                        channel=DeliveryChannel.EMAIL,
                        status=DeliveryStatus.SKIPPED,
                        error="联系人没有电子邮箱。",
                    )
                )
                continue
            opened = rng.random() < 0.45
            deliveries.append(
                BulletinDelivery(
                    bulletin=bulletin,
                    client_id=client.pk,
                    contact=contact,
                    channel=DeliveryChannel.EMAIL,
                    address=contact.email,
                    status=DeliveryStatus.SENT,
                    sent_at=sent_at,
                    opened_at=sent_at + dt.timedelta(hours=rng.randrange(1, 96))
                    if opened
                    else None,
                )
            )
    BulletinDelivery.objects.bulk_create(deliveries, batch_size=BATCH_SIZE)
    return {"bulletins": len(_BULLETINS), "bulletin_deliveries": len(deliveries)}


def _render(text: str, contact: Contact, client_name: str, occasion: str) -> str:
    for key, value in (
        ("{联系人}", contact.name),
        ("{客户}", client_name),
        ("{公司}", settings.FIRM_NAME),
        ("{节日}", occasion),
    ):
        text = text.replace(key, value)
    return text


def _greetings(clients, contacts, today) -> dict[str, int]:
    """The last year's holiday greetings to primary contacts and birthday greetings."""
    start = today - dt.timedelta(days=365)
    names = dict(Client.objects.filter(pk__in=[c.pk for c in clients]).values_list("pk", "name"))
    templates = {(t.kind, t.day_id): t for t in GreetingTemplate.objects.filter(active=True)}
    sends = []

    def send(contact, kind, key, day, template, occasion):
        subject = _render(template.subject, contact, names[contact.client_id], occasion)
        body = _render(template.body, contact, names[contact.client_id], occasion)
        sends.append(
            GreetingSend(
                contact=contact,
                client_id=contact.client_id,
                kind=kind,
                occasion_key=key,
                occasion_date=day,
                template=template,
                channel="email",
                address=contact.email,
                subject=subject,
                body=body,
                status=GreetingStatus.SENT if contact.email else GreetingStatus.SKIPPED,
                error="" if contact.email else "联系人没有电子邮箱。",
            )
        )

    for holiday in GreetingDay.objects.filter(active=True):
        template = templates.get((GreetingKind.HOLIDAY, holiday.pk))
        if template is None:
            continue
        dates = []
        for year in (start.year, today.year):
            if holiday.rule == DateRule.SOLAR:
                dates.append(dt.date(year, holiday.month, holiday.day))
            elif holiday.rule == DateRule.LUNAR:
                dates.append(lunar_to_solar(year, holiday.month, holiday.day))
            else:
                dates.append(qingming(year))
        for day in sorted(set(dates)):
            if not start <= day < today:
                continue
            for client in clients:
                people = contacts.get(client.pk, [])
                if people and not people[0].greetings_opt_out:
                    send(
                        people[0],
                        GreetingKind.HOLIDAY,
                        f"{holiday.code}:{day.year}",
                        day,
                        template,
                        holiday.name,
                    )
    birthday_template = templates.get((GreetingKind.BIRTHDAY, None))
    if birthday_template is not None:
        for people in contacts.values():
            for contact in people:
                if contact.birthday is None or contact.greetings_opt_out:
                    continue
                if contact.birthday_lunar:
                    _y, month, day, _leap = solar_to_lunar(contact.birthday)
                    found = lunar_anniversaries(month, day, start, today - dt.timedelta(days=1))
                    keys = [(d, f"birthday:{solar_to_lunar(d)[0]}") for d in found]
                else:
                    keys = []
                    for year in (start.year, today.year):
                        try:
                            d = contact.birthday.replace(year=year)
                        except ValueError:
                            d = dt.date(year, 2, 28)
                        if start <= d < today:
                            keys.append((d, f"birthday:{year}"))
                for d, key in keys:
                    send(contact, GreetingKind.BIRTHDAY, key, d, birthday_template, "生日")
    GreetingSend.objects.bulk_create(sends, batch_size=BATCH_SIZE)
    return {"greetings": len(sends)}


def _events(clients, contacts, today, rng) -> dict[str, int]:
    """Four past events with attendance and feedback, and one being prepared."""
    organizer = User.objects.filter(groups__name="service", is_active=True).order_by("pk").first()
    invitations = []
    events = []
    plan = [(kind, title, -months) for kind, title, months in _EVENTS]
    plan.append((EventKind.TRAINING, "年度汇算清缴与工商年报培训会", 1))
    for kind, title, months in plan:
        # Past events some months ago; the one being prepared in about three weeks.
        day = on_or_after_working_day(
            today + dt.timedelta(days=24) if months > 0 else add_months(today, months)
        )
        past = day < today
        capacity = rng.choice((30, 40, 50))
        event = ClientEvent.objects.create(
            title=title,
            kind=kind,
            starts_at=_local(day, 14),
            ends_at=_local(day, 16, 30),
            place=rng.choice(["公司三楼会议室", "市民中心报告厅", "高新区创业服务中心"]),
            capacity=capacity,
            agenda="14:00 签到\n14:15 主题讲解\n15:45 互动答疑\n16:30 结束",
            speaker="税务专员团队",
            organizer=organizer,
            status=EventStatus.FINISHED if past else EventStatus.INVITING,
            summary="活动顺利举办，客户反馈良好。" if past else "",
        )
        events.append(event)
        invited = rng.sample(clients, min(len(clients), capacity + capacity // 2))
        accepted_seats = 0
        for client in invited:
            people = contacts.get(client.pk, [])
            contact = people[0] if people else None
            roll = rng.random()
            rsvp = RsvpStatus.PENDING
            if roll < 0.55 and accepted_seats + 1 <= capacity:
                rsvp = RsvpStatus.ACCEPTED
                accepted_seats += 1
            elif roll < 0.85:
                rsvp = RsvpStatus.DECLINED
            attended = None
            rating = None
            if past and rsvp == RsvpStatus.ACCEPTED:
                attended = rng.random() < 0.85
                if attended and rng.random() < 0.6:
                    rating = rng.choices((5, 4, 3), weights=(55, 35, 10))[0]
            invitations.append(
                Invitation(
                    event=event,
                    client_id=client.pk,
                    contact=contact,
                    invited_by=organizer,
                    rsvp=rsvp,
                    attendee_names=contact.name if contact and rsvp == RsvpStatus.ACCEPTED else "",
                    rsvp_at=event.starts_at - dt.timedelta(days=rng.randrange(2, 10))
                    if rsvp != RsvpStatus.PENDING
                    else None,
                    attended=attended,
                    feedback_rating=rating,
                    feedback="内容实用，希望多举办。" if rating else "",
                    feedback_at=event.ends_at + dt.timedelta(days=1) if rating else None,
                )
            )
    Invitation.objects.bulk_create(invitations, batch_size=BATCH_SIZE)
    return {"events": len(events), "invitations": len(invitations)}

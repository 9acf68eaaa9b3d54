"""Reads of greetings (policy 四（二）2): which contacts are greeted on which day and why (the
occasions), the templates and days, the sent log and a client's greeting history.

An occasion is computed, not stored: a contact's birthday (solar, or the 农历 date of the birth)
or a holiday (a :class:`GreetingDay`, solar, lunar or 清明) falling on a day. The daily job sends
the occasions of today; the preview page lists those of the next 30 days. Both load the contacts
once with the few fields they need, so 10,000 clients cost one query, not one per contact.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from django.db.models import Func, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from zhangfang.care.models import (
    DateRule,
    GreetingDay,
    GreetingKind,
    GreetingSend,
    GreetingStatus,
    GreetingTemplate,
)
from zhangfang.clients.models import Client, ClientStatus, Contact
from zhangfang.clients.selectors import client_visible_q
from zhangfang.core.calendar import lunar_anniversaries, qingming, solar_to_lunar
from zhangfang.core.search import normalize_query

#: The placeholders a template may use, replaced when a greeting is sent.
CONTACT = "联系人"
CLIENT = "客户"
FIRM = "公司"
OCCASION = "节日"
PLACEHOLDERS = (CONTACT, CLIENT, FIRM, OCCASION)

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")

_ONE_DAY = dt.timedelta(days=1)


# ---------------------------------------------------------------------------------------------
# Occasions
# ---------------------------------------------------------------------------------------------


class Recipient(NamedTuple):
    """What a greeting needs of a contact and its client, loaded as plain values (named tuples
    are cheap: a firm-wide holiday makes one per client)."""

    id: int
    client_id: int
    name: str
    client_name: str
    email: str
    mobile: str
    wechat: str
    opted_out: bool
    search_pinyin: str = ""


class Occasion(NamedTuple):
    """One reason to greet one contact on one day. ``key`` is unique per contact and occasion
    (``birthday:2027``, ``spring_festival:2027``): a greeting goes out once per key and channel."""

    date: dt.date
    kind: str
    day: GreetingDay | None
    contact: Recipient
    key: str

    @property
    def label(self) -> str:
        return self.day.name if self.day is not None else _("生日")


def solar_on(year: int, month: int, day: int) -> dt.date | None:
    """``month``/``day`` of ``year``; 29 February is kept on the 28th in a common year (the
    day a person born on it celebrates then), any other impossible date is None."""
    if month == 2 and day == 29:
        try:
            return dt.date(year, 2, 29)
        except ValueError:
            return dt.date(year, 2, 28)
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def lunar_year_of(day: dt.date) -> int:
    return solar_to_lunar(day)[0]


def holiday_dates(
    days: Iterable[GreetingDay], start: dt.date, end: dt.date
) -> list[tuple[dt.date, GreetingDay, str]]:
    """``(date, day, key)`` of each day's dates within ``start``–``end`` (inclusive).

    A solar day's key carries the solar year; a lunar day's key the lunar year (a 腊月 day falls
    in January or February of the next solar year, and must not be sent twice in one lunar
    year); 清明 is the solar term of each year.
    """
    found = []
    years = range(start.year, end.year + 1)
    for day in days:
        if day.rule == DateRule.SOLAR:
            if not day.month or not day.day:
                continue
            for year in years:
                date = solar_on(year, day.month, day.day)
                if date is not None and start <= date <= end:
                    found.append((date, day, f"{day.code}:{year}"))
        elif day.rule == DateRule.LUNAR:
            if not day.month or not day.day:
                continue
            for date in lunar_anniversaries(day.month, day.day, start, end):
                found.append((date, day, f"{day.code}:{lunar_year_of(date)}"))
        elif day.rule == DateRule.QINGMING:
            for year in years:
                date = qingming(year)
                if start <= date <= end:
                    found.append((date, day, f"{day.code}:{year}"))
    return found


@lru_cache(maxsize=100_000)
def lunar_month_day(birthday: dt.date) -> tuple[int, int] | None:
    """The 农历 month and day of a date of birth (a leap month counts as its ordinary month),
    None before the lunar tables begin (1900).

    Kept for the life of the process: it never changes, and the firm's 25,000 contacts would
    otherwise cost a conversion each on every page of the plan.
    """
    try:
        _year, month, day, _leap = solar_to_lunar(birthday)
    except ValueError:
        return None
    return month, day


class _Birthdays:
    """The birthdays in a window. The solar dates of each lunar month/day are computed once per
    window: 25,000 contacts share a few hundred lunar month/day pairs."""

    def __init__(self, start: dt.date, end: dt.date) -> None:
        self.start = start
        self.end = end
        # Each (month, day) of the window, and 29 February on the 28th of a common year.
        self.solar: dict[tuple[int, int], list[dt.date]] = defaultdict(list)
        date = start
        while date <= end:
            self.solar[(date.month, date.day)].append(date)
            if date.month == 2 and date.day == 28 and solar_on(date.year, 2, 29) == date:
                self.solar[(2, 29)].append(date)
            date += _ONE_DAY
        self._lunar_dates: dict[tuple[int, int], list[tuple[dt.date, int]]] = {}

    def solar_dates(self, birthday: dt.date) -> list[tuple[dt.date, int]]:
        return [(date, date.year) for date in self.solar.get((birthday.month, birthday.day), ())]

    def lunar_dates(self, birthday: dt.date) -> list[tuple[dt.date, int]]:
        """The solar dates in the window of the 农历 anniversaries of ``birthday``, with their
        lunar years. A birth in a leap month (闰月) is celebrated in the ordinary month of that
        number, which every year has."""
        month_day = lunar_month_day(birthday)
        if month_day is None:
            return []
        if month_day not in self._lunar_dates:
            self._lunar_dates[month_day] = [
                (date, lunar_year_of(date))
                for date in lunar_anniversaries(*month_day, self.start, self.end)
            ]
        return self._lunar_dates[month_day]


_RECIPIENT_FIELDS = (
    "id",
    "client_id",
    "name",
    "client__name",
    "email",
    "mobile",
    "wechat",
    "greetings_opt_out",
    "client__search_pinyin",
    "birthday",
    "birthday_lunar",
)

#: How far (in days of the year) the solar date of a 农历 birthday can lie from the solar date of
#: birth. A lunar month always holds the same major solar term (中气), so a lunar date wanders
#: within about a month of the solar calendar, a birth in a leap month included (at most 33
#: days for births 1920–2025 and anniversaries to 2090). Twice that is the database's first cut;
#: the exact dates are computed after.
_LUNAR_DRIFT = dt.timedelta(days=62)


class MonthDay(Func):
    """``month * 100 + day`` of a date (``925`` for 25 September), computed by the database so
    that only the birthdays near a window are read."""

    output_field = IntegerField()
    template = (
        "CAST(EXTRACT(MONTH FROM %(expressions)s) * 100 + EXTRACT(DAY FROM %(expressions)s)"
        " AS INTEGER)"
    )

    def as_sqlite(self, compiler, connection, **extra_context):
        # SQLite keeps a date as "YYYY-MM-DD" text; its own substr() is much cheaper than the
        # Python function Django registers for EXTRACT.
        return self.as_sql(
            compiler,
            connection,
            template="CAST(substr(%(expressions)s, 6, 2) || substr(%(expressions)s, 9, 2)"
            " AS INTEGER)",
            **extra_context,
        )


def _month_day_q(start: dt.date, end: dt.date) -> Q | None:
    """A filter on the alias ``md`` (:class:`MonthDay`) for the month/days of ``start``–``end``
    and 29 February when the 28th is in it; None when the window covers the whole year."""
    if (end - start).days >= 365:
        return None
    ranges: list[list[int]] = []
    date = start
    while date <= end:
        md = date.month * 100 + date.day
        if ranges and md > ranges[-1][1]:
            ranges[-1][1] = md
        else:
            # The first day, or the window went over New Year.
            ranges.append([md, md])
        date += _ONE_DAY
    condition = Q()
    for low, high in ranges:
        if high == 228:
            high = 229  # born on 29 February: greeted on the 28th in a common year
        condition |= Q(md__gte=low, md__lte=high)
    return condition


def _birthdays_near(start: dt.date, end: dt.date) -> Q:
    """Contacts whose birthday may fall in ``start``–``end``: a solar birthday on one of its
    month/days, a lunar one within :data:`_LUNAR_DRIFT` of them."""
    solar = _month_day_q(start, end)
    lunar = _month_day_q(start - _LUNAR_DRIFT, end + _LUNAR_DRIFT)
    return (Q(birthday_lunar=False) & (solar or Q())) | (Q(birthday_lunar=True) & (lunar or Q()))


def active_days() -> list[GreetingDay]:
    return list(GreetingDay.objects.filter(active=True))


def _recipient(row: tuple) -> Recipient:
    return Recipient._make(row[:9])


def occasions_between(
    start: dt.date,
    end: dt.date,
    *,
    user=None,
    days: list[GreetingDay] | None = None,
    kind: str = "",
) -> list[Occasion]:
    """Every occasion from ``start`` to ``end`` (inclusive), ordered by date, kind and client.

    Contacts of clients in service (服务中) only; ``user`` narrows them to the clients that user
    may see (None: the whole firm, for the daily job). ``kind`` keeps only birthdays or only
    holidays.

    - Birthdays: a contact with a ``birthday`` is greeted on its month/day (29 February on the
      28th in a common year), or, with ``birthday_lunar``, on the solar date where the lunar
      month/day of the birth falls that year (a 30th the month lacks is kept on its 29th). The
      key is ``birthday:<year>``, the lunar year for a lunar birthday.
    - Holidays: each active :class:`GreetingDay` on its dates, to one contact per client: the
      primary contact, else the first one entered. The key is ``<day code>:<year>``.

    At most three queries (the active days, the holidays' contacts when a holiday falls in the
    window, the birthdays near the window), whatever the number of contacts; ``days`` may be
    passed in when the caller has them.
    """
    want_birthdays = kind != GreetingKind.HOLIDAY
    want_holidays = kind != GreetingKind.BIRTHDAY
    if days is None:
        days = active_days() if want_holidays else []
    holidays = holiday_dates(days, start, end) if want_holidays else []
    in_service = Client.objects.filter(status=ClientStatus.ACTIVE)
    contacts = Contact.objects.filter(client__status=ClientStatus.ACTIVE)
    if user is not None:
        in_service = in_service.filter(client_visible_q(user))
        contacts = contacts.filter(client_visible_q(user, prefix="client__"))

    found: list[Occasion] = []
    if holidays:
        first_contact = (
            Contact.objects.filter(client_id=OuterRef("pk")).order_by("-is_primary", "id")
        ).values("id")[:1]
        firsts = in_service.annotate(first=Subquery(first_contact)).values("first")
        recipients = [
            _recipient(row)
            for row in Contact.objects.filter(pk__in=firsts).values_list(*_RECIPIENT_FIELDS)
        ]
        for date, day, key in holidays:
            found.extend(
                Occasion(date, GreetingKind.HOLIDAY, day, recipient, key)
                for recipient in recipients
            )

    if want_birthdays:
        birthdays = _Birthdays(start, end)
        rows = (
            contacts.filter(birthday__isnull=False)
            .alias(md=MonthDay("birthday"))
            .filter(_birthdays_near(start, end))
            .values_list(*_RECIPIENT_FIELDS)
        )
        for row in rows:
            birthday, lunar = row[9], row[10]
            dates = birthdays.lunar_dates(birthday) if lunar else birthdays.solar_dates(birthday)
            for date, year in dates:
                if date > birthday:
                    found.append(
                        Occasion(
                            date, GreetingKind.BIRTHDAY, None, _recipient(row), f"birthday:{year}"
                        )
                    )
    order = {GreetingKind.BIRTHDAY: 0, GreetingKind.HOLIDAY: 1}
    found.sort(key=lambda o: (o.date, order[o.kind], o.contact.search_pinyin, o.contact.id))
    return found


def search_occasions(occasions: list[Occasion], text: str) -> list[Occasion]:
    """The occasions whose contact or client matches ``text`` (name, or the client's pinyin)."""
    text = text.strip()
    if not text:
        return occasions
    lowered = text.lower()
    pinyin = normalize_query(text)
    return [
        o
        for o in occasions
        if lowered in o.contact.name.lower()
        or lowered in o.contact.client_name.lower()
        or (pinyin and pinyin in o.contact.search_pinyin)
    ]


# ---------------------------------------------------------------------------------------------
# Templates
# ---------------------------------------------------------------------------------------------


def unknown_placeholders(text: str) -> list[str]:
    """The ``{x}`` in ``text`` that are not placeholders, each once, in order of appearance."""
    unknown: list[str] = []
    for name in _PLACEHOLDER.findall(text or ""):
        if name not in PLACEHOLDERS and name not in unknown:
            unknown.append(name)
    return unknown


def render_text(text: str, values: dict[str, str]) -> str:
    """``text`` with each ``{placeholder}`` replaced; anything else in braces is left alone."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text or "")


def active_templates() -> dict[tuple[str, int | None], GreetingTemplate]:
    """The active template of each occasion: ``(kind, day id)``, ``(birthday, None)``."""
    return {
        (t.kind, t.day_id if t.kind == GreetingKind.HOLIDAY else None): t
        for t in GreetingTemplate.objects.filter(active=True).order_by("id")
    }


def template_for(
    templates: dict[tuple[str, int | None], GreetingTemplate], occasion: Occasion
) -> GreetingTemplate | None:
    day_id = occasion.day.pk if occasion.day is not None else None
    return templates.get((occasion.kind, day_id))


def greeting_template_list() -> list[GreetingTemplate]:
    """Every template, the birthday's first, then the holidays in calendar order."""
    return list(
        GreetingTemplate.objects.select_related("day").order_by(
            "kind", "day__month", "day__day", "day__id", "id"
        )
    )


def greeting_template_get(*, pk: int) -> GreetingTemplate | None:
    return GreetingTemplate.objects.select_related("day").filter(pk=pk).first()


def greeting_day_list() -> list[GreetingDay]:
    """Built-in days first, then the firm's, each in calendar order (清明 in early April)."""
    days = list(GreetingDay.objects.all())

    def position(day: GreetingDay) -> tuple:
        month, date = (4, 5) if day.rule == DateRule.QINGMING else (day.month or 0, day.day or 0)
        return (not day.builtin, month, date, day.pk)

    return sorted(days, key=position)


def greeting_day_get(*, pk: int) -> GreetingDay | None:
    return GreetingDay.objects.filter(pk=pk).first()


def day_names() -> dict[str, str]:
    """Each day's name by its code, to name the occasion of a sent greeting."""
    return dict(GreetingDay.objects.values_list("code", "name"))


def occasion_label(key: str, names: dict[str, str]) -> str:
    code = key.split(":", 1)[0]
    if code == GreetingKind.BIRTHDAY:
        return _("生日")
    return names.get(code, code)


# ---------------------------------------------------------------------------------------------
# What was sent
# ---------------------------------------------------------------------------------------------


def sent_keys(occasions: Iterable[Occasion]) -> dict[tuple[int, str, str], GreetingSend]:
    """The greetings already recorded for ``occasions``: ``(contact id, key, channel)``.

    One query; the filter starts from the contacts, so it uses the unique index of
    ``(contact, occasion_key, channel)`` (meant for a page of occasions, not thousands).
    """
    condition = Q()
    pairs = {(o.contact.id, o.key) for o in occasions}
    if not pairs:
        return {}
    for contact_id, key in pairs:
        condition |= Q(contact_id=contact_id, occasion_key=key)
    return {
        (send.contact_id, send.occasion_key, send.channel): send
        for send in GreetingSend.objects.filter(condition).only(
            "id", "contact_id", "occasion_key", "channel", "status", "sent_at"
        )
    }


@dataclass(frozen=True)
class LogFilters:
    start: dt.date | None = None
    end: dt.date | None = None
    status: str = ""
    kind: str = ""
    channel: str = ""
    q: str = ""


LOG_SORTS = {
    "date": ("occasion_date", "id"),
    "client": ("client__search_pinyin", "id"),
    "status": ("status", "occasion_date", "id"),
}


def greeting_log(*, user, filters: LogFilters, ordering) -> QuerySet[GreetingSend]:
    """The greetings recorded for the clients ``user`` may see, with what a row shows joined."""
    queryset = GreetingSend.objects.filter(client_visible_q(user, prefix="client__"))
    if filters.start:
        queryset = queryset.filter(occasion_date__gte=filters.start)
    if filters.end:
        queryset = queryset.filter(occasion_date__lte=filters.end)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.channel:
        queryset = queryset.filter(channel=filters.channel)
    text = filters.q.strip()
    if text:
        condition = Q(contact__name__icontains=text) | Q(client__name__icontains=text)
        pinyin = normalize_query(text)
        if pinyin:
            condition |= Q(client__search_pinyin__contains=pinyin)
        queryset = queryset.filter(condition)
    return (
        queryset.select_related("contact", "client")
        .only(
            "id",
            "kind",
            "occasion_key",
            "occasion_date",
            "channel",
            "address",
            "status",
            "error",
            "sent_at",
            "contact__id",
            "contact__name",
            "client__id",
            "client__name",
        )
        .order_by(*ordering)
    )


def client_greetings(client: Client, *, today: dt.date | None = None) -> list[GreetingSend]:
    """The greetings sent to ``client``'s contacts in the last 12 months, newest first, each
    with ``occasion_label`` (生日, or the holiday's name). Two queries."""
    today = today or timezone.localdate()
    since = solar_on(today.year - 1, today.month, today.day) or today
    sends = list(
        GreetingSend.objects.filter(client=client, occasion_date__gt=since)
        .select_related("contact")
        .only(
            "id",
            "kind",
            "occasion_key",
            "occasion_date",
            "channel",
            "address",
            "status",
            "error",
            "sent_at",
            "client_id",
            "contact__id",
            "contact__name",
        )
        .order_by("-occasion_date", "-id")
    )
    if sends:
        names = day_names()
        for send in sends:
            send.occasion_label = occasion_label(send.occasion_key, names)
    return sends


def failed_count(*, user, since: dt.date) -> int:
    """Greetings to ``user``'s clients that could not be sent since ``since`` (home panel)."""
    return GreetingSend.objects.filter(
        client_visible_q(user, prefix="client__"),
        status=GreetingStatus.FAILED,
        occasion_date__gte=since,
    ).count()


# ---------------------------------------------------------------------------------------------
# The preview: what the job will do
# ---------------------------------------------------------------------------------------------

WILL_SEND = "will_send"
OPTED_OUT = "opted_out"
NO_ADDRESS = "no_address"
NOT_CONFIGURED = "not_configured"
ALREADY_SENT = "already_sent"
NO_TEMPLATE = "no_template"

OUTCOME_COLOURS = {
    WILL_SEND: "primary",
    OPTED_OUT: "secondary",
    NO_ADDRESS: "warning",
    NOT_CONFIGURED: "warning",
    ALREADY_SENT: "success",
    NO_TEMPLATE: "light",
}


@dataclass
class PreviewRow:
    """One greeting the job would consider: an occasion on one channel of its template
    (``channel`` empty when the occasion has no active template), and what will happen."""

    occasion: Occasion
    channel: str
    outcome: str = ""
    sent: GreetingSend | None = None


def preview_rows(
    occasions: list[Occasion], templates: dict[tuple[str, int | None], GreetingTemplate]
) -> list[tuple[Occasion, str]]:
    """``(occasion, channel)`` for each channel of the occasion's active template, or
    ``(occasion, "")`` when it has none. Plain pairs: a firm-wide holiday makes 10,000 of them,
    and only a page of them becomes :class:`PreviewRow` (:func:`with_outcomes`)."""
    rows: list[tuple[Occasion, str]] = []
    for occasion in occasions:
        template = template_for(templates, occasion)
        if template is None or not template.channels:
            rows.append((occasion, ""))
        else:
            rows.extend((occasion, channel) for channel in template.channels)
    return rows


def with_outcomes(pairs: Iterable[tuple[Occasion, str]]) -> list[PreviewRow]:
    """What the job will do with each ``(occasion, channel)``, as it decides it: a greeting
    already recorded is not sent again; an opted-out contact gets nothing; a missing address or
    an unconfigured SMS/WeChat channel is recorded as not sent. One query (the recorded
    greetings), so it is meant for a page of rows."""
    from zhangfang.notifications import channels

    rows = [PreviewRow(occasion, channel) for occasion, channel in pairs]
    sent = sent_keys(row.occasion for row in rows if row.channel)
    for row in rows:
        if not row.channel:
            row.outcome = NO_TEMPLATE
            continue
        contact = row.occasion.contact
        row.sent = sent.get((contact.id, row.occasion.key, row.channel))
        if row.sent is not None:
            row.outcome = ALREADY_SENT
        elif contact.opted_out:
            row.outcome = OPTED_OUT
        elif row.channel != channels.EMAIL and not channels.is_configured(row.channel):
            row.outcome = NOT_CONFIGURED
        elif not {
            channels.EMAIL: contact.email,
            channels.SMS: contact.mobile,
            channels.WECHAT: contact.wechat,
        }.get(row.channel):
            row.outcome = NO_ADDRESS
        else:
            row.outcome = WILL_SEND
    return rows

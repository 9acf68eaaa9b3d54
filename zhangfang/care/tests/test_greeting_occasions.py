"""Which contacts are greeted on which day: solar and 农历 birthdays (29 February, 腊月三十 in a
short year, a birth in a leap month), the built-in holidays on their dates, holidays to one
contact per client in service, the occasion keys, and a constant number of queries."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from zhangfang.care.models import GreetingDay, GreetingKind
from zhangfang.care.selectors.greetings import occasions_between
from zhangfang.care.services import greetings as services
from zhangfang.clients.models import ClientStatus
from zhangfang.clients.tests.factories import ClientFactory, ContactFactory
from zhangfang.staff.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def on(day: dt.date, **kwargs):
    return occasions_between(day, day, **kwargs)


def birthdays(day: dt.date) -> list[tuple[str, str]]:
    return [(o.contact.name, o.key) for o in on(day) if o.kind == GreetingKind.BIRTHDAY]


def holidays(day: dt.date) -> list[tuple[str, str, str]]:
    return [(o.contact.name, o.day.name, o.key) for o in on(day) if o.kind == GreetingKind.HOLIDAY]


def new_moon_beijing(k: int) -> dt.date:
    """The date (UTC+8) of new moon number ``k`` counted from January 2000, by Meeus,
    *Astronomical Algorithms* ch. 49 (main terms, accurate to minutes): an almanac-independent
    check of the lunar tables. A lunar month begins on the day of its new moon in China."""
    t = k / 1236.85
    jde = 2451550.09766 + 29.530588861 * k + 0.00015437 * t * t
    e = 1 - 0.002516 * t
    m = math.radians(2.5534 + 29.10535670 * k)
    mp = math.radians(201.5643 + 385.81693528 * k + 0.0107582 * t * t)
    f = math.radians(160.7108 + 390.67050284 * k)
    jde += (
        -0.40720 * math.sin(mp)
        + 0.17241 * e * math.sin(m)
        + 0.01608 * math.sin(2 * mp)
        + 0.01039 * math.sin(2 * f)
        + 0.00739 * e * math.sin(mp - m)
        - 0.00514 * e * math.sin(mp + m)
        + 0.00208 * e * e * math.sin(2 * m)
    )
    moment = dt.datetime(2000, 1, 1, 12) + dt.timedelta(days=jde - 2451545.0, hours=8)
    return moment.date()


# --- Birthdays ----------------------------------------------------------------------------------


def test_a_lunar_birthday_is_greeted_on_its_lunar_date():
    # 1990-05-17 is 农历四月廿三. In 2027 the fourth lunar month begins with the new moon of
    # 6 May (正月 6 Feb, 二月 8 Mar, 三月 7 Apr, 四月 6 May: no leap month before it), so
    # 廿三 is 22 days later, 28 May.
    assert new_moon_beijing(335) == dt.date(2027, 2, 6)  # 春节 2027
    assert new_moon_beijing(338) == dt.date(2027, 5, 6)
    expected = new_moon_beijing(338) + dt.timedelta(days=22)
    assert expected == dt.date(2027, 5, 28)

    ContactFactory(name="李芳", birthday=dt.date(1990, 5, 17), birthday_lunar=True)
    ContactFactory(name="赵强", birthday=dt.date(1990, 5, 17))  # solar: 17 May
    assert birthdays(dt.date(2027, 5, 28)) == [("李芳", "birthday:2027")]
    assert birthdays(dt.date(2027, 5, 17)) == [("赵强", "birthday:2027")]
    window = occasions_between(dt.date(2027, 1, 1), dt.date(2027, 12, 31))
    assert [(o.contact.name, o.date) for o in window if o.kind == GreetingKind.BIRTHDAY] == [
        ("赵强", dt.date(2027, 5, 17)),
        ("李芳", dt.date(2027, 5, 28)),
    ]


def test_29_february_birthdays_fall_on_28_february_in_common_years():
    ContactFactory(name="孙悦", birthday=dt.date(2000, 2, 29))
    assert birthdays(dt.date(2027, 2, 28)) == [("孙悦", "birthday:2027")]
    assert birthdays(dt.date(2027, 3, 1)) == []
    assert birthdays(dt.date(2028, 2, 29)) == [("孙悦", "birthday:2028")]
    assert birthdays(dt.date(2028, 2, 28)) == []
    # Once a year, also over a window spanning both days.
    window = occasions_between(dt.date(2027, 2, 1), dt.date(2027, 3, 31), kind="birthday")
    assert [o.date for o in window] == [dt.date(2027, 2, 28)]


def test_a_birthday_on_the_30th_of_the_twelfth_lunar_month_in_a_short_year():
    # 1975-02-10 is 腊月三十 of lunar 1974. Lunar 2026's 腊月 has 29 days: the birthday is kept
    # on 腊月廿九, 2027-02-05 (the eve of 春节 2027-02-06), under lunar year 2026's key.
    ContactFactory(name="周敏", birthday=dt.date(1975, 2, 10), birthday_lunar=True)
    assert birthdays(dt.date(2027, 2, 5)) == [("周敏", "birthday:2026")]
    assert birthdays(dt.date(2027, 2, 4)) == []
    # Lunar 2029's 腊月 has a 30th (2030-02-02): the birthday is on it, not on the 29th.
    assert birthdays(dt.date(2030, 2, 2)) == [("周敏", "birthday:2029")]
    assert birthdays(dt.date(2030, 2, 1)) == []


def test_a_birth_in_a_leap_month_is_celebrated_in_the_ordinary_month():
    # 1990-07-20 is 闰五月廿八; in 2026 (no leap 5th month) 五月廿八 is 2026-07-12.
    ContactFactory(name="吴磊", birthday=dt.date(1990, 7, 20), birthday_lunar=True)
    assert birthdays(dt.date(2026, 7, 12)) == [("吴磊", "birthday:2026")]
    year = occasions_between(dt.date(2026, 1, 1), dt.date(2026, 12, 31), kind="birthday")
    assert [o.date for o in year] == [dt.date(2026, 7, 12)]


def test_only_contacts_of_clients_in_service_are_greeted():
    for status in (ClientStatus.PROSPECT, ClientStatus.SUSPENDED, ClientStatus.TERMINATED):
        ContactFactory(
            client=ClientFactory(status=status), name=status, birthday=dt.date(1985, 6, 1)
        )
    ContactFactory(name="在服务", birthday=dt.date(1985, 6, 1))
    assert birthdays(dt.date(2026, 6, 1)) == [("在服务", "birthday:2026")]


# --- Holidays -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "name", "key"),
    [
        (dt.date(2027, 2, 6), "春节", "spring_festival:2027"),
        (dt.date(2026, 9, 25), "中秋节", "mid_autumn:2026"),
        (dt.date(2026, 4, 5), "清明节", "qingming:2026"),
        (dt.date(2027, 6, 9), "端午节", "dragon_boat:2027"),
        (dt.date(2027, 2, 20), "元宵节", "lantern_festival:2027"),
        (dt.date(2027, 1, 1), "元旦", "new_year:2027"),
        (dt.date(2026, 10, 1), "国庆节", "national_day:2026"),
    ],
)
def test_built_in_holidays_fall_on_their_dates(day, name, key):
    ContactFactory(name="王经理")
    assert holidays(day) == [("王经理", name, key)]
    assert holidays(day - dt.timedelta(days=1)) == []


def test_holidays_go_to_the_primary_contact_else_the_first_contact():
    acme = ClientFactory()
    ContactFactory(client=acme, name="出纳", is_primary=False)
    ContactFactory(client=acme, name="老板", is_primary=True)
    other = ClientFactory()
    ContactFactory(client=other, name="先登记", is_primary=False)
    ContactFactory(client=other, name="后登记", is_primary=False)
    ContactFactory(client=ClientFactory(status=ClientStatus.TERMINATED), name="终止")
    ClientFactory()  # no contact: nobody to greet
    names = sorted(name for name, _day, _key in holidays(dt.date(2026, 10, 1)))
    assert names == ["先登记", "老板"]


def test_a_deactivated_day_has_no_occasions():
    ContactFactory(name="王经理")
    GreetingDay.objects.filter(code="national_day").update(active=False)
    assert holidays(dt.date(2026, 10, 1)) == []


def test_a_firm_lunar_day_in_the_twelfth_month_keys_on_its_lunar_year():
    admin = UserFactory(roles=["admin"])
    day = services.greeting_day_create(
        data={"name": "小年", "rule": "lunar", "month": 12, "day": 23, "active": True}, by=admin
    )
    ContactFactory(name="王经理")
    # 腊月廿三 of lunar 2026 is 2027-01-30 (腊月 begins with the new moon of 8 January).
    assert new_moon_beijing(334) + dt.timedelta(days=22) == dt.date(2027, 1, 30)
    assert holidays(dt.date(2027, 1, 30)) == [("王经理", "小年", f"{day.code}:2026")]


def test_a_contact_can_have_a_birthday_and_a_holiday_on_the_same_day():
    ContactFactory(name="王经理", birthday=dt.date(1980, 10, 1))
    found = on(dt.date(2026, 10, 1))
    assert [(o.kind, o.key) for o in found] == [
        ("birthday", "birthday:2026"),
        ("holiday", "national_day:2026"),
    ]


def test_scoped_to_the_clients_a_user_sees():
    cs = UserFactory(roles=["service"])
    mine = ClientFactory(customer_service=cs)
    ContactFactory(client=mine, name="我的", birthday=dt.date(1980, 3, 3))
    ContactFactory(name="别人的", birthday=dt.date(1980, 3, 3))
    found = on(dt.date(2026, 3, 3), user=cs, kind="birthday")
    assert [o.contact.name for o in found] == ["我的"]
    assert len(on(dt.date(2026, 3, 3), kind="birthday")) == 2
    # 元宵节 2026 is on 3 March too: to my client's primary contact only.
    assert [o.contact.name for o in on(dt.date(2026, 3, 3), user=cs, kind="holiday")] == ["我的"]


def test_the_kind_filter():
    ContactFactory(name="王经理", birthday=dt.date(1980, 10, 1))
    assert {o.kind for o in on(dt.date(2026, 10, 1), kind="birthday")} == {"birthday"}
    assert {o.kind for o in on(dt.date(2026, 10, 1), kind="holiday")} == {"holiday"}


def test_queries_do_not_grow_with_contacts(django_assert_num_queries):
    for n in range(30):
        c = ClientFactory()
        ContactFactory(client=c, birthday=dt.date(1980, 9, 25 - n % 3), birthday_lunar=n % 2 == 0)
        ContactFactory(client=c, is_primary=False, birthday=dt.date(1981, 9, 20 + n % 5))
    # The active days, the holidays' contacts, the birthdays near the window.
    with django_assert_num_queries(3):
        found = occasions_between(dt.date(2026, 9, 1), dt.date(2026, 10, 31))
    assert sum(1 for o in found if o.kind == GreetingKind.HOLIDAY) == 60  # 中秋 and 国庆
    assert sum(1 for o in found if o.kind == GreetingKind.BIRTHDAY) >= 30


def test_a_window_over_new_year_finds_birthdays_on_both_sides():
    ContactFactory(name="年末", birthday=dt.date(1980, 12, 31))
    ContactFactory(name="年初", birthday=dt.date(1981, 1, 1))
    ContactFactory(name="不在内", birthday=dt.date(1981, 1, 3))
    found = occasions_between(dt.date(2026, 12, 30), dt.date(2027, 1, 2), kind="birthday")
    assert [(o.contact.name, o.date, o.key) for o in found] == [
        ("年末", dt.date(2026, 12, 31), "birthday:2026"),
        ("年初", dt.date(2027, 1, 1), "birthday:2027"),
    ]


def test_a_lunar_birthday_far_from_its_solar_date_is_still_found():
    # 1922-06-25 is 闰五月初一; in 2039 五月初一 is 2039-05-23, 33 days earlier in the year than
    # the birth: the widest gap there is, well inside the database's first cut.
    ContactFactory(name="闰月生", birthday=dt.date(1922, 6, 25), birthday_lunar=True)
    assert birthdays(dt.date(2039, 5, 23)) == [("闰月生", "birthday:2039")]

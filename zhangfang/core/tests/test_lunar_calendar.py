"""The lunar calendar (农历) and 清明 for greetings (policy 四（二）2): dates pinned from the
official almanac (万年历)."""

from __future__ import annotations

import datetime as dt

import pytest

from zhangfang.core.calendar import lunar_anniversaries, lunar_to_solar, qingming, solar_to_lunar


@pytest.mark.parametrize(
    ("lunar", "solar"),
    [
        ((2026, 1, 1), dt.date(2026, 2, 17)),  # 春节 2026
        ((2027, 1, 1), dt.date(2027, 2, 6)),  # 春节 2027
        ((2026, 1, 15), dt.date(2026, 3, 3)),  # 元宵 2026
        ((2026, 5, 5), dt.date(2026, 6, 19)),  # 端午 2026
        ((2026, 8, 15), dt.date(2026, 9, 25)),  # 中秋 2026
        ((2027, 8, 15), dt.date(2027, 9, 15)),  # 中秋 2027
    ],
)
def test_festivals_fall_on_their_solar_dates(lunar, solar):
    assert lunar_to_solar(*lunar) == solar


def test_a_missing_thirtieth_falls_on_the_twenty_ninth():
    # 乙巳年腊月 has 29 days: 除夕 2026 is 腊月廿九, 16 February.
    assert lunar_to_solar(2025, 12, 30) == dt.date(2026, 2, 16)


def test_solar_to_lunar_of_a_date_of_birth():
    assert solar_to_lunar(dt.date(1990, 5, 17)) == (1990, 4, 23, False)


def test_lunar_anniversaries_across_the_solar_new_year():
    # 腊月廿五 of lunar 2026 falls in February 2027; of lunar 2025 in February 2026.
    found = lunar_anniversaries(12, 25, dt.date(2027, 1, 1), dt.date(2027, 12, 31))
    assert found == [lunar_to_solar(2026, 12, 25)]
    assert found[0].year == 2027


def test_qingming():
    assert qingming(2026) == dt.date(2026, 4, 5)
    assert qingming(2024) == dt.date(2024, 4, 4)

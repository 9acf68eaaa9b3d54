"""Money (DOMAIN.md §6): amounts in Chinese capitals, ``¥1,234.56``, parsing what users type.

The capitals are checked three ways: a table worked out by hand from
人民银行《正确填写票据和结算凭证的基本规定》 (including its own examples), properties that
hold for every amount, and an independent reader that turns the capitals back into a number.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from zhangfang.core.money import MAX_AMOUNT, format_rmb, rmb_upper, to_money

DIGITS = "零壹贰叁肆伍陆柒捌玖"
NONZERO_DIGITS = frozenset(DIGITS[1:])
UNITS = "拾佰仟万亿"

# Where the rules allow "one 零 or none" (万 or 元 digit 0 before a non-zero digit) Zhangfang writes
# none, except when a whole 万 group is zero; after 角 it leaves out 整. "PBoC" marks the rules' own
# examples.
TABLE = [
    ("0", "人民币零元整"),
    ("0.00", "人民币零元整"),
    ("0.05", "人民币伍分"),
    ("0.3", "人民币叁角"),
    ("0.35", "人民币叁角伍分"),
    ("1", "人民币壹元整"),
    ("1.05", "人民币壹元零伍分"),  # 角 0, 分 not: 零 after 元
    ("1.500", "人民币壹元伍角"),  # trailing zero decimals are not extra precision
    ("1E+3", "人民币壹仟元整"),
    ("10", "人民币壹拾元整"),  # 壹拾, never 拾
    ("10.3", "人民币壹拾元叁角"),  # 元 digit 0 before 角: no 零
    ("11", "人民币壹拾壹元整"),
    ("20.00", "人民币贰拾元整"),
    ("30.07", "人民币叁拾元零柒分"),
    ("100.05", "人民币壹佰元零伍分"),
    ("101", "人民币壹佰零壹元整"),
    ("110", "人民币壹佰壹拾元整"),
    ("200.20", "人民币贰佰元贰角"),
    ("325.04", "人民币叁佰贰拾伍元零肆分"),  # PBoC
    ("1004.07", "人民币壹仟零肆元零柒分"),  # two zeros in the middle: one 零
    ("1010", "人民币壹仟零壹拾元整"),
    ("1409", "人民币壹仟肆佰零玖元整"),
    ("1409.50", "人民币壹仟肆佰零玖元伍角"),  # PBoC
    ("1680.32", "人民币壹仟陆佰捌拾元叁角贰分"),  # PBoC (the form without 零)
    ("6007.14", "人民币陆仟零柒元壹角肆分"),  # PBoC
    ("10000.01", "人民币壹万元零壹分"),
    ("10000.10", "人民币壹万元壹角"),
    ("10100", "人民币壹万零壹佰元整"),
    ("10101.01", "人民币壹万零壹佰零壹元零壹分"),
    ("11000", "人民币壹万壹仟元整"),
    ("12345.67", "人民币壹万贰仟叁佰肆拾伍元陆角柒分"),
    ("16409.02", "人民币壹万陆仟肆佰零玖元零贰分"),  # PBoC
    ("20001", "人民币贰万零壹元整"),
    ("100000", "人民币壹拾万元整"),
    ("100800", "人民币壹拾万零捌佰元整"),  # 万 and 仟 digits 0: 零 needed
    ("107000.53", "人民币壹拾万柒仟元伍角叁分"),  # PBoC (the form without 零)
    ("108000", "人民币壹拾万捌仟元整"),  # 万 digit 0 before 仟: no 零
    ("200010", "人民币贰拾万零壹拾元整"),
    ("1008000", "人民币壹佰万捌仟元整"),  # 拾万 and 万 digits 0 before 仟: no 零
    ("1080000", "人民币壹佰零捌万元整"),
    ("5000000.00", "人民币伍佰万元整"),
    ("10080000", "人民币壹仟零捌万元整"),
    ("99999999.99", "人民币玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    ("100000000", "人民币壹亿元整"),
    ("100000000.10", "人民币壹亿元壹角"),
    ("100001000", "人民币壹亿零壹仟元整"),  # the whole 万 group is 0: 零 kept
    ("100010000", "人民币壹亿零壹万元整"),
    ("110000000", "人民币壹亿壹仟万元整"),
    ("1000000001", "人民币壹拾亿零壹元整"),
    ("1010000000", "人民币壹拾亿壹仟万元整"),  # 亿 digit 0 before 仟万: no 零
    ("1000000000000", "人民币壹万亿元整"),
    ("1000010000000", "人民币壹万亿零壹仟万元整"),
    ("1000100000000", "人民币壹万零壹亿元整"),
    (
        "9999999999999999.99",
        "人民币玖仟玖佰玖拾玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分",
    ),
]


@pytest.mark.parametrize(("amount", "words"), TABLE)
def test_rmb_upper_table(amount, words):
    assert rmb_upper(Decimal(amount)) == words


def test_the_table_is_big_enough_and_consistent_with_the_reader():
    assert len(TABLE) >= 25
    for amount, words in TABLE:
        assert read_capitals(words) == Decimal(amount)
        assert words.count("零") == expected_zeros(Decimal(amount))


def test_int_amounts_are_accepted():
    assert rmb_upper(1409) == "人民币壹仟肆佰零玖元整"


@pytest.mark.parametrize("amount", [1409.5, 0.0, True, "1409.50", None])
def test_anything_but_decimal_or_int_is_a_type_error(amount):
    with pytest.raises(TypeError):
        rmb_upper(amount)
    with pytest.raises(TypeError):
        format_rmb(amount)


@pytest.mark.parametrize(
    "amount",
    ["-0.01", "-1409.50", "1409.505", "0.001", "NaN", "Infinity", "10000000000000000", "1E+30"],
)
def test_amounts_that_cannot_be_written_are_a_value_error(amount):
    with pytest.raises(ValueError):
        rmb_upper(Decimal(amount))


def test_negative_zero_is_zero():
    assert rmb_upper(Decimal("-0.00")) == "人民币零元整"
    assert format_rmb(Decimal("-0.00")) == "¥0.00"


# --- an independent reader of the capitals -----------------------------------------------------


def read_capitals(words: str) -> Decimal:
    """Turn capitals back into a number, checking the grammar on the way (not using the module)."""
    assert words.startswith("人民币")
    text = words.removeprefix("人民币").removesuffix("整")
    total = section = number = 0
    yuan = cents = 0
    previous = None
    for char in text:
        if char in DIGITS:
            assert previous not in NONZERO_DIGITS, f"two digits in a row in {words}"
            number = DIGITS.index(char)
        elif char in "拾佰仟":
            assert previous in NONZERO_DIGITS, f"{char} without its digit in {words}"
            section += number * 10 ** ("拾佰仟".index(char) + 1)
            number = 0
        elif char == "万":
            section = (section + number) * 10**4
            number = 0
        elif char == "亿":
            total = (total + section + number) * 10**8
            section = number = 0
        elif char == "元":
            yuan, total, section, number = total + section + number, 0, 0, 0
        elif char == "角":
            assert previous in NONZERO_DIGITS
            cents += number * 10
        elif char == "分":
            assert previous in NONZERO_DIGITS
            cents += number
        else:
            raise AssertionError(f"unexpected {char!r} in {words}")
        previous = char
    return Decimal(yuan) + Decimal(cents) / 100


def expected_zeros(amount: Decimal) -> int:
    """How many 零 the capitals must contain, counted on the digits (a second formulation).

    One per run of zeros between non-zero digits of the whole yuan, except a run that ends at the
    万/亿 digit (position 4, 8, 12) without filling that 4-digit group; plus one after 元 when the
    角 digit is 0 and the 分 digit is not; and the 零 of 零元整.
    """
    if amount == 0:
        return 1
    yuan, rest = divmod(int(amount * 100), 100)
    jiao, fen = divmod(rest, 10)
    digits = str(yuan) if yuan else ""
    count = 0
    position = len(digits) - 1
    run_top = None
    for digit in digits:
        if digit == "0":
            if run_top is None:
                run_top = position
        elif run_top is not None:
            run_low = position + 1
            if not (run_low % 4 == 0 and run_top < run_low + 3):
                count += 1
            run_top = None
        position -= 1
    if yuan and not jiao and fen:
        count += 1
    return count


# --- properties that hold for every amount ------------------------------------------------------

# Plain random amounts, and amounts built digit by digit with many zeros: the zero rules are where
# the mistakes hide.
zero_heavy_yuan = st.lists(
    st.one_of(st.just("0"), st.sampled_from("123456789")), min_size=0, max_size=16
).map(lambda digits: int("".join(digits) or "0"))
cents = st.one_of(st.sampled_from([0, 1, 10, 50, 7, 30]), st.integers(0, 99))
amounts = st.one_of(
    st.decimals(min_value=0, max_value=MAX_AMOUNT, places=2),
    st.builds(lambda yuan, cent: Decimal(f"{yuan}.{cent:02d}"), zero_heavy_yuan, cents),
)


@settings(max_examples=1000)
@given(amount=amounts)
def test_rmb_upper_reads_back_as_the_same_amount(amount):
    assert read_capitals(rmb_upper(amount)) == amount


@settings(max_examples=1000)
@given(amount=amounts)
def test_rmb_upper_writes_zeros_where_the_rules_say(amount):
    assert rmb_upper(amount).count("零") == expected_zeros(amount)


@settings(max_examples=1000)
@given(amount=amounts)
def test_rmb_upper_structure(amount):
    words = rmb_upper(amount)
    yuan, rest = divmod(int(amount * 100), 100)
    jiao, fen = divmod(rest, 10)

    assert words.startswith("人民币")
    body = words.removeprefix("人民币")
    assert set(body) <= set(DIGITS + UNITS + "元角分整")
    assert "零零" not in words
    assert not words.endswith("零")
    assert not body.startswith(tuple(UNITS + "元角分整"))
    assert not body.startswith("零") or words == "人民币零元整"
    # Ends with 整 exactly when the amount is whole yuan; with 角 when there are 角 but no 分；
    # with 分 whenever there are 分 (整 is never written after 分, and is left out after 角).
    assert words.endswith("整") == (rest == 0)
    assert words.endswith("角") == (jiao != 0 and fen == 0)
    assert words.endswith("分") == (fen != 0)
    assert words.count("整") <= 1
    assert ("角" in words) == (jiao != 0)
    assert ("分" in words) == (fen != 0)
    assert ("元" in words) == (yuan != 0 or amount == 0)
    # A 零 stands before a digit, never before a unit (零拾， 零万， 零元 do not exist)...
    if amount:
        for index, char in enumerate(words):
            if char == "零":
                assert words[index + 1] in NONZERO_DIGITS
    # ...and every non-zero digit is followed by its unit (壹拾, not 拾； 壹元, not 壹).
    for index, char in enumerate(words):
        if char in NONZERO_DIGITS:
            assert words[index + 1] in UNITS + "元角分"
    # 角 zero and 分 not: 零 right after 元.
    if yuan and not jiao and fen:
        assert f"元零{DIGITS[fen]}分" in words


@settings(max_examples=500)
@given(amount=amounts)
def test_the_figure_and_the_capitals_agree(amount):
    assert to_money(format_rmb(amount)) == amount == read_capitals(rmb_upper(amount))


# --- ¥ figures -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        ("1234.56", "¥1,234.56"),
        ("0", "¥0.00"),
        ("0.5", "¥0.50"),
        ("999.999E+3", "¥999,999.00"),
        ("1234567.8", "¥1,234,567.80"),
        ("-1234.56", "-¥1,234.56"),
        ("-0.01", "-¥0.01"),
        ("1409.500", "¥1,409.50"),
    ],
)
def test_format_rmb(amount, shown):
    assert format_rmb(Decimal(amount)) == shown


def test_format_rmb_takes_ints_and_never_rounds():
    assert format_rmb(200) == "¥200.00"
    with pytest.raises(ValueError):
        format_rmb(Decimal("0.005"))
    with pytest.raises(ValueError):
        format_rmb(Decimal("1E+30"))


# --- parsing what users type -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1234.5", "1234.50"),
        ("1,234.5", "1234.50"),
        ("1,234,567.89", "1234567.89"),
        ("¥1234.50", "1234.50"),
        ("￥1,234.50", "1234.50"),
        ("¥ 1 234.50", "1234.50"),
        ("１２３４.５０", "1234.50"),
        ("１，２３４．５", "1234.50"),
        ("1234.50元", "1234.50"),
        ("  200 ", "200.00"),
        ("0", "0.00"),
        (".5", "0.50"),
        ("5.", "5.00"),
        ("1.500", "1.50"),  # trailing zeros are not precision
        ("-5", "-5.00"),
        ("-¥5", "-5.00"),
        ("¥-5", "-5.00"),
        ("\u22125", "-5.00"),
        ("-0", "0.00"),
    ],
)
def test_to_money_parses_what_users_type(text, amount):
    parsed = to_money(text)
    assert parsed == Decimal(amount)
    assert parsed.as_tuple().exponent == -2  # always two places


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "money_required"),
        ("   ", "money_required"),
        (None, "money_required"),
        ("abc", "money_invalid"),
        ("1,5", "money_invalid"),  # a European decimal comma, not fifteen
        ("12,34", "money_invalid"),
        ("1,2345", "money_invalid"),
        ("1.2.3", "money_invalid"),
        ("1e5", "money_invalid"),
        ("--5", "money_invalid"),
        (".", "money_invalid"),
        ("¥", "money_invalid"),
        ("NaN", "money_invalid"),
        ("1.234", "money_precision"),  # no silent rounding
        ("0.001", "money_precision"),
    ],
)
def test_to_money_refuses_bad_text(text, code):
    with translation.override("zh-hans"), pytest.raises(ValidationError) as excinfo:
        to_money(text)
    assert excinfo.value.code == code
    assert "金额" in " ".join(excinfo.value.messages)


def test_to_money_passes_decimals_and_ints_through_the_same_checks():
    assert to_money(Decimal("1.5")) == Decimal("1.50")
    assert to_money(7) == Decimal("7.00")
    with pytest.raises(ValidationError):
        to_money(Decimal("1.234"))
    with pytest.raises(TypeError):
        to_money(1.5)


@settings(max_examples=300)
@given(amount=st.decimals(min_value=-MAX_AMOUNT, max_value=MAX_AMOUNT, places=2))
def test_to_money_reads_back_format_rmb(amount):
    assert to_money(format_rmb(amount)) == amount

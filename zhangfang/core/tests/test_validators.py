"""Identifier checks of DOMAIN.md §5: 统一社会信用代码， 身份证号码, mobiles, password rules.

No database. Known-good codes below were checked by hand against the algorithm (sums in comments),
never copied from "sample" lists, which are often wrong.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
from django.contrib.auth.password_validation import (
    get_default_password_validators,
    password_validators_help_texts,
    validate_password,
)
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from zhangfang.core import validators
from zhangfang.core.validators import (
    RESIDENT_ID_CHECK_CHARS,
    RESIDENT_ID_WEIGHTS,
    USCC_ALPHABET,
    USCC_WEIGHTS,
    PasswordComplexityValidator,
    birth_date_from_resident_id,
    format_mobile,
    gender_from_resident_id,
    normalize_code,
    normalize_mobile,
    resident_id_check_char,
    uscc_check_char,
    validate_mobile,
    validate_resident_id,
    validate_uscc,
)

# 9 1 3 5 0 1 0 0 M(21) 0 0 0 1 0 0 Y(30) 4
# weights 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28:
# 9 + 3 + 27 + 135 + 26 + 420 + 8 + 900 + 112 = 1640 = 52 × 31 + 28, check (31 − 28) mod 31 = 3.
USCC_VALID = "91350100M000100Y43"
USCC_STANDARD_COUNTER_EXAMPLE = "91350100M000100Y4Z"
# GB 11643-1999's own examples (the second born in 1880).
ID_FEMALE_1949 = "11010519491231002X"
ID_MALE_1880 = "440524188001010014"


def to_full_width(text: str) -> str:
    """ASCII letters and digits as their full-width forms (Ａ, ９), as typed with a Chinese IME."""
    return "".join(chr(ord(char) + 0xFEE0) if char.isalnum() else char for char in text)


def error_code(excinfo: pytest.ExceptionInfo[ValidationError]) -> str | None:
    return excinfo.value.code


def message(excinfo: pytest.ExceptionInfo[ValidationError]) -> str:
    return " ".join(excinfo.value.messages)


# --- normalisation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("91350100m000100y43", "91350100M000100Y43"),
        ("９１３５０１００Ｍ０００１００Ｙ４３", "91350100M000100Y43"),
        (" 9135 0100\u3000M000 100Y 43\n", "91350100M000100Y43"),
        ("11010519491231002x", "11010519491231002X"),
        ("", ""),
    ],
)
def test_normalize_code(raw, normal):
    assert normalize_code(raw) == normal


def test_the_module_imports_without_django_settings():
    # Messages must be translated when raised, not at import: scripts import this without settings.
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", "import zhangfang.core.validators, zhangfang.core.money"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


# --- 统一社会信用代码 ---------------------------------------------------------------------------


def test_uscc_weights_are_powers_of_three_mod_31():
    assert list(USCC_WEIGHTS) == [3**i % 31 for i in range(17)]
    assert len(USCC_ALPHABET) == 31 and not set("IOSVZ") & set(USCC_ALPHABET)


def test_uscc_check_char_worked_example():
    assert uscc_check_char(USCC_VALID[:17]) == "3"


def test_a_valid_uscc_is_returned_normalised():
    assert validate_uscc(USCC_VALID) == USCC_VALID
    assert validate_uscc("9135 0100 m000 100y 43") == USCC_VALID
    assert validate_uscc(to_full_width(USCC_VALID.lower())) == USCC_VALID


def test_the_standards_counter_example_is_invalid():
    with pytest.raises(ValidationError):
        validate_uscc(USCC_STANDARD_COUNTER_EXAMPLE)


def test_a_wrong_check_character_says_so():
    with translation.override("zh-hans"), pytest.raises(ValidationError) as excinfo:
        validate_uscc("91350100M000100Y44")
    assert error_code(excinfo) == "uscc_check"
    assert "统一社会信用代码校验位错误" in message(excinfo)


@pytest.mark.parametrize("value", ["", "91350100M000100Y4", "91350100M000100Y433", "913501"])
def test_a_uscc_of_the_wrong_length_says_so(value):
    with translation.override("zh-hans"), pytest.raises(ValidationError) as excinfo:
        validate_uscc(value)
    assert error_code(excinfo) == "uscc_length"
    assert f"当前为 {len(value)} 位" in message(excinfo)


@pytest.mark.parametrize("illegal", ["I", "O", "S", "V", "Z", "-", "中"])
def test_a_uscc_with_an_illegal_character_names_it(illegal):
    value = USCC_VALID[:10] + illegal + USCC_VALID[11:]
    with translation.override("zh-hans"), pytest.raises(ValidationError) as excinfo:
        validate_uscc(value)
    assert error_code(excinfo) == "uscc_character"
    assert illegal in message(excinfo) and "非法字符" in message(excinfo)


@pytest.mark.parametrize("bad", ["", "9135", "91350100M000100Y4Z", "91350100M000100Y43"])
def test_uscc_check_char_refuses_anything_but_17_alphabet_characters(bad):
    with pytest.raises(ValueError):
        uscc_check_char(bad)


def test_uscc_detects_every_single_substitution_algebraically():
    # Changing the value at position i by d (1 ≤ |d| ≤ 30) changes the sum by d·w_i mod 31; 31 is
    # prime and no weight is 0 mod 31, so the sum, and with it the check character, always changes.
    for weight in USCC_WEIGHTS:
        assert all(delta * weight % 31 for delta in range(1, 31))


def test_uscc_detects_every_single_substitution_of_a_known_code():
    for position in range(18):
        for char in USCC_ALPHABET:
            if char != USCC_VALID[position]:
                changed = USCC_VALID[:position] + char + USCC_VALID[position + 1 :]
                with pytest.raises(ValidationError):
                    validate_uscc(changed)


uscc_bodies = st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17)


@settings(deadline=None)
@given(body=uscc_bodies)
def test_any_body_with_its_check_char_validates(body):
    code = body + uscc_check_char(body)
    assert validate_uscc(code) == code
    assert validate_uscc(to_full_width(code.lower())) == code


@settings(deadline=None)
@given(body=uscc_bodies, position=st.integers(0, 17), data=st.data())
def test_changing_one_character_of_a_valid_uscc_invalidates_it(body, position, data):
    code = body + uscc_check_char(body)
    replacement = data.draw(st.sampled_from(USCC_ALPHABET.replace(code[position], "")))
    with pytest.raises(ValidationError) as excinfo:
        validate_uscc(code[:position] + replacement + code[position + 1 :])
    assert error_code(excinfo) == "uscc_check"


# --- 居民身份证号码 -------------------------------------------------------------------------------


def test_resident_id_weights_are_powers_of_two_mod_11():
    assert list(RESIDENT_ID_WEIGHTS) == [2 ** (17 - i) % 11 for i in range(17)]


def test_resident_id_check_char_worked_examples():
    # 1·7 + 1·9 + 0 + 1·5 + 0 + 5·4 + 1·2 + 9·1 + 4·6 + 9·3 + 1·7 + 2·9 + 3·10 + 1·5 + 0 + 0 + 2·2
    # = 167 = 15 × 11 + 2 → "X"
    assert resident_id_check_char(ID_FEMALE_1949[:17]) == "X"
    assert resident_id_check_char(ID_MALE_1880[:17]) == "4"
    assert resident_id_check_char("0" * 17) == "1"  # Σ = 0
    assert resident_id_check_char("1" + "0" * 16) == "5"  # Σ = 7


def test_resident_id_check_chars_cover_every_remainder():
    assert RESIDENT_ID_CHECK_CHARS == "10X98765432"


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        (ID_FEMALE_1949, ID_FEMALE_1949),
        ("11010519491231002x", ID_FEMALE_1949),
        ("110105 19491231 002X", ID_FEMALE_1949),
        (to_full_width("11010519491231002x"), ID_FEMALE_1949),
        (ID_MALE_1880, ID_MALE_1880),
    ],
)
def test_a_valid_resident_id_is_returned_normalised(raw, normal):
    assert validate_resident_id(raw) == normal


def test_birth_date_and_gender():
    assert birth_date_from_resident_id(ID_FEMALE_1949) == dt.date(1949, 12, 31)
    assert gender_from_resident_id(ID_FEMALE_1949) == "female"
    assert birth_date_from_resident_id(ID_MALE_1880) == dt.date(1880, 1, 1)
    assert gender_from_resident_id(ID_MALE_1880) == "male"


def make_id(area: str, born: dt.date, sequence: int) -> str:
    body = f"{area}{born:%Y%m%d}{sequence:03d}"
    return body + resident_id_check_char(body)


def make_id_with_date_text(area: str, date_text: str, sequence: int = 1) -> str:
    body = f"{area}{date_text}{sequence:03d}"
    return body + resident_id_check_char(body)


@pytest.mark.parametrize(
    ("date_text", "valid"),
    [
        ("20000229", True),  # leap year (divisible by 400)
        ("19000229", False),  # 1900 was not a leap year
        ("20230229", False),
        ("19991301", False),
        ("19990100", False),
        ("19990431", False),
        ("18000101", True),  # oldest accepted
        ("17991231", False),
        ("00000000", False),
    ],
)
def test_the_birth_date_must_be_real(date_text, valid):
    code = make_id_with_date_text("110105", date_text)
    if valid:
        assert validate_resident_id(code) == code
    else:
        with translation.override("zh-hans"), pytest.raises(ValidationError) as excinfo:
            validate_resident_id(code)
        assert error_code(excinfo) == "resident_id_birth_date"
        assert "出生日期" in message(excinfo)


def test_the_birth_date_is_not_in_the_future():
    # Two days either side of today, so the server's and the firm's time zones cannot disagree.
    past = make_id("110105", dt.date.today() - dt.timedelta(days=2), 1)
    future = make_id("110105", dt.date.today() + dt.timedelta(days=2), 1)
    assert validate_resident_id(past) == past
    with pytest.raises(ValidationError) as excinfo:
        validate_resident_id(future)
    assert error_code(excinfo) == "resident_id_birth_date"


@pytest.mark.parametrize(
    ("value", "code", "words"),
    [
        ("11010519491231002", "resident_id_length", "应为 18 位"),
        ("11010519491231002X1", "resident_id_length", "应为 18 位"),
        ("110105491231002", "resident_id_length", "15 位"),
        ("1101051949123100XX", "resident_id_format", "前 17 位应为数字"),
        ("11010519491231002A", "resident_id_format", "最后一位应为数字或 X"),
        ("11010519491231002Y", "resident_id_format", "最后一位应为数字或 X"),
        ("110105194912310021", "resident_id_check", "校验位错误"),
    ],
)
def test_invalid_resident_ids_say_what_is_wrong(value, code, words):
    with translation.override("zh-hans"), pytest.raises(ValidationError) as excinfo:
        validate_resident_id(value)
    assert error_code(excinfo) == code
    assert words in message(excinfo)


def test_an_area_code_cannot_start_with_zero():
    code = make_id("010105", dt.date(1980, 5, 6), 12)
    with pytest.raises(ValidationError) as excinfo:
        validate_resident_id(code)
    assert error_code(excinfo) == "resident_id_area"


def test_birth_date_and_gender_refuse_invalid_ids():
    for function in (birth_date_from_resident_id, gender_from_resident_id):
        with pytest.raises(ValidationError):
            function("110105194912310021")


@pytest.mark.parametrize("bad", ["", "1101051949123100", "11010519491231002X", "1101051949123100A"])
def test_resident_id_check_char_refuses_anything_but_17_digits(bad):
    with pytest.raises(ValueError):
        resident_id_check_char(bad)


def test_resident_id_detects_every_single_substitution_algebraically():
    # A digit changed by d (1 ≤ |d| ≤ 9) changes the sum by d·w_i; 11 is prime and no weight is
    # 0 mod 11, so the remainder, and with it the check character, always changes.
    for weight in RESIDENT_ID_WEIGHTS:
        assert all(delta * weight % 11 for delta in range(1, 10))


areas = st.integers(100000, 999999).map(str)
birth_dates = st.dates(
    min_value=dt.date(1800, 1, 1), max_value=dt.date.today() - dt.timedelta(days=1)
)
sequences = st.integers(0, 999)


@settings(deadline=None)
@given(area=areas, born=birth_dates, sequence=sequences)
def test_any_generated_resident_id_validates(area, born, sequence):
    code = make_id(area, born, sequence)
    assert validate_resident_id(code) == code
    assert validate_resident_id(to_full_width(code.lower())) == code
    assert birth_date_from_resident_id(code) == born
    assert gender_from_resident_id(code) == ("male" if sequence % 2 else "female")


@settings(deadline=None)
@given(
    area=areas, born=birth_dates, sequence=sequences, position=st.integers(0, 17), data=st.data()
)
def test_changing_one_character_of_a_valid_resident_id_invalidates_it(
    area, born, sequence, position, data
):
    code = make_id(area, born, sequence)
    alphabet = "0123456789X" if position == 17 else "0123456789"
    replacement = data.draw(st.sampled_from(alphabet.replace(code[position], "")))
    with pytest.raises(ValidationError):
        validate_resident_id(code[:position] + replacement + code[position + 1 :])


# --- mobile numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "13800138000",
        "138 0013 8000",
        "138-0013-8000",
        "+86 138 0013 8000",
        "+86-138-0013-8000",
        "(+86) 13800138000",
        "8613800138000",
        "008613800138000",
        "１３８００１３８０００",
        "＋８６　１３８　００１３　８０００",
        " 13800138000 ",
    ],
)
def test_mobile_forms_people_type_are_stored_as_e164(raw):
    assert normalize_mobile(raw) == "+8613800138000"


@pytest.mark.parametrize(
    "number", ["13912345678", "15012345678", "17712345678", "18612345678", "19912345678"]
)
def test_current_mobile_blocks_are_accepted(number):
    assert normalize_mobile(number) == "+86" + number


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "mobile_format"),
        ("1380013800", "mobile_format"),  # 10 digits
        ("138001380001", "mobile_format"),  # 12 digits
        ("23800138000", "mobile_format"),  # does not start with 1
        ("010-62345678", "mobile_format"),  # a Beijing landline
        ("+86 10 6234 5678", "mobile_format"),
        ("1380013800a", "mobile_format"),
        ("12345678901", "mobile_invalid"),  # 11 digits but no such mobile block
        ("10012345678", "mobile_invalid"),
        ("+852 9123 4567", "mobile_country"),  # Hong Kong
        ("+1 202 555 0123", "mobile_country"),
    ],
)
def test_anything_but_a_mainland_mobile_is_refused(raw, code):
    with translation.override("zh-hans"), pytest.raises(ValidationError) as excinfo:
        normalize_mobile(raw)
    assert error_code(excinfo) == code
    assert "手机号码" in message(excinfo)


def test_the_format_message_asks_for_11_digits():
    with translation.override("zh-hans"), pytest.raises(ValidationError) as excinfo:
        normalize_mobile("138001380")
    assert message(excinfo) == "请输入有效的 11 位手机号码。"


def test_validate_mobile_is_a_field_validator():
    assert validate_mobile("138 0013 8000") is None
    assert validate_mobile("+8613800138000") is None
    with pytest.raises(ValidationError):
        validate_mobile("12345")


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("+8613800138000", "138 0013 8000"),
        ("13800138000", "138 0013 8000"),
        ("", ""),
        ("+85291234567", "+85291234567"),  # not ours to reformat: shown as stored
    ],
)
def test_format_mobile(stored, shown):
    assert format_mobile(stored) == shown


mobiles = st.tuples(
    st.sampled_from(["138", "139", "150", "186", "199"]),
    st.text(alphabet="0123456789", min_size=8, max_size=8),
).map("".join)


@settings(deadline=None)
@given(number=mobiles)
def test_normalise_then_format_round_trips(number):
    stored = normalize_mobile(number)
    assert stored == "+86" + number
    shown = format_mobile(stored)
    assert shown.replace(" ", "") == number
    assert normalize_mobile(shown) == stored


# --- password complexity ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("Zhangfang#2026", True),  # all four
        ("Zhangfang2026", True),  # upper, lower, digit
        ("zhangfang#2026", True),  # lower, symbol, digit
        ("ZHANGFANG#2026", True),
        ("Zhangfang#", True),
        ("zhangfang2026", False),  # two classes
        ("ZHANGFANG2026", False),
        ("zhangfangzhangfang", False),
        ("20262026#", False),
        ("账房账房2026", False),  # Chinese characters count as symbols: symbol + digit
        ("账房Zhangfang", True),  # symbol + upper + lower
        ("zhang fang 2026", True),  # a space is a symbol
    ],
)
def test_password_needs_three_of_four_classes(password, ok):
    validator = PasswordComplexityValidator()
    if ok:
        validator.validate(password)
        validator.validate(password, user=object())
    else:
        with translation.override("zh-hans"), pytest.raises(ValidationError) as excinfo:
            validator.validate(password)
        assert error_code(excinfo) == "password_too_simple"
        assert "至少 3 类" in message(excinfo)


def test_password_classes():
    classes = PasswordComplexityValidator.character_classes
    assert classes("aA1!") == {"upper", "lower", "digit", "symbol"}
    assert classes("") == set()
    assert classes("ＡＢＣ") == {"upper"}


def test_min_classes_is_configurable():
    PasswordComplexityValidator(min_classes=4).validate("Zhangfang#2026")
    with pytest.raises(ValidationError):
        PasswordComplexityValidator(min_classes=4).validate("Zhangfang2026")
    PasswordComplexityValidator(min_classes=2).validate("zhangfang2026")
    with pytest.raises(ValueError):
        PasswordComplexityValidator(min_classes=5)


def test_help_text_is_chinese():
    with translation.override("zh-hans"):
        text = PasswordComplexityValidator().get_help_text()
    assert "大写字母" in text and "至少 3 类" in text


def test_it_works_through_djangos_password_validation():
    only_ours = [PasswordComplexityValidator()]
    validate_password("Zhangfang#2026", password_validators=only_ours)
    with pytest.raises(ValidationError):
        validate_password("zhangfang2026", password_validators=only_ours)
    assert password_validators_help_texts(only_ours)


def test_it_is_one_of_the_projects_password_validators():
    assert any(
        isinstance(v, PasswordComplexityValidator) for v in get_default_password_validators()
    )


def test_public_names():
    for name in validators.__all__:
        assert hasattr(validators, name)

"""Checks and normal forms of the identifiers Zhangfang stores (DOMAIN.md §5).

* 统一社会信用代码 (GB 32100-2015) of a client: 18 characters, mod-31 check character.
* 居民身份证号码 (GB 11643-1999) of a contact: area, birth date, sequence, mod-11 check character.
* Mainland mobile numbers: accepted as people type them, stored as E.164 (``+8613800138000``),
  shown as ``138 0013 8000``.
* Password complexity for ``AUTH_PASSWORD_VALIDATORS`` (等保 2.0: at least three character classes).

Every check normalises first (full-width to half-width, spaces removed, upper case), because codes
are copied from PDFs, licences and chat messages in whatever width the source used. Every failure is
a :class:`~django.core.exceptions.ValidationError` whose message says what is wrong, so a form can
show it as it is. Messages are fetched with ``gettext`` when the error is raised, never at import
time, so this module imports without Django settings.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

__all__ = [
    "RESIDENT_ID_CHECK_CHARS",
    "RESIDENT_ID_WEIGHTS",
    "USCC_ALPHABET",
    "USCC_WEIGHTS",
    "PasswordComplexityValidator",
    "birth_date_from_resident_id",
    "format_mobile",
    "gender_from_resident_id",
    "normalize_code",
    "normalize_mobile",
    "resident_id_check_char",
    "uscc_check_char",
    "validate_mobile",
    "validate_resident_id",
    "validate_uscc",
]

# ---------------------------------------------------------------------------------------------
# Normalisation
# ---------------------------------------------------------------------------------------------

_WHITESPACE = re.compile(r"\s+")


def normalize_code(value: str) -> str:
    """Return ``value`` in the form identifiers are compared and stored in.

    NFKC folds full-width letters, digits and the ideographic space (``９１３５``, ``\\u3000``) to
    their ASCII forms; all whitespace goes, since codes are often written in groups; upper case
    because the standards only use capitals (a 身份证 ``x`` is the check character ``X``).
    """
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", value or "")).upper()


# ---------------------------------------------------------------------------------------------
# 统一社会信用代码 (GB 32100-2015)
# ---------------------------------------------------------------------------------------------

#: The 31 characters of the code, in the order of their values 0–30 (no I, O, S, V, Z: they are
#: too easily read as 1, 0, 5, U, 2).
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
#: Weights of positions 1–17: 3**(i-1) mod 31.
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_VALUE = {char: value for value, char in enumerate(USCC_ALPHABET)}


def uscc_check_char(first17: str) -> str:
    """The check character (position 18) of a 统一社会信用代码 whose first 17 characters are given.

    Demo-data generators use it to make codes that pass :func:`validate_uscc`. Raises ``ValueError``
    (a programming error, not user input) if ``first17`` is not 17 characters of the alphabet.
    """
    body = normalize_code(first17)
    if len(body) != 17 or any(char not in _USCC_VALUE for char in body):
        raise ValueError(f"expected 17 characters of {USCC_ALPHABET!r}, got {first17!r}")
    total = sum(_USCC_VALUE[char] * weight for char, weight in zip(body, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_uscc(value: str) -> str:
    """Check a 统一社会信用代码 and return it normalised (half-width, no spaces, upper case).

    Raises ``ValidationError`` with code ``uscc_length``, ``uscc_character`` or ``uscc_check``.
    Only the structure and the check character are verified: whether the organisation exists is
    a question for the national enterprise credit system, not for an algorithm.
    """
    code = normalize_code(value)
    if len(code) != 18:
        raise ValidationError(
            _("统一社会信用代码应为 18 位，当前为 %(length)d 位。"),
            code="uscc_length",
            params={"length": len(code)},
        )
    illegal = "".join(dict.fromkeys(char for char in code if char not in _USCC_VALUE))
    if illegal:
        raise ValidationError(
            _(
                "统一社会信用代码含有非法字符“%(chars)s”"
                "（只能是数字和除 I、O、S、V、Z 以外的大写字母）。"
            ),
            code="uscc_character",
            params={"chars": illegal},
        )
    if uscc_check_char(code[:17]) != code[17]:
        raise ValidationError(
            _("统一社会信用代码校验位错误，请核对是否有字符输错。"), code="uscc_check"
        )
    return code


# ---------------------------------------------------------------------------------------------
# 居民身份证号码 (GB 11643-1999)
# ---------------------------------------------------------------------------------------------

#: Weights of positions 1–17: 2**(18-i) mod 11.
RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
#: Check character for Σ mod 11 = 0, 1, …, 10.
RESIDENT_ID_CHECK_CHARS = "10X98765432"
#: The earliest birth year accepted. The standard's own examples include people born in the
#: 1800s, so 1900 would be too strict; before 1800 is certainly a typing error.
RESIDENT_ID_MIN_YEAR = 1800


def resident_id_check_char(first17: str) -> str:
    """The check character (position 18, ``0``–``9`` or ``X``) for the first 17 digits of an ID.

    Raises ``ValueError`` (a programming error) if ``first17`` is not 17 digits.
    """
    body = normalize_code(first17)
    if not re.fullmatch(r"[0-9]{17}", body):
        raise ValueError(f"expected 17 digits, got {first17!r}")
    total = sum(
        int(digit) * weight for digit, weight in zip(body, RESIDENT_ID_WEIGHTS, strict=True)
    )
    return RESIDENT_ID_CHECK_CHARS[total % 11]


def _today() -> dt.date:
    # The firm's calendar day (settings.TIME_ZONE) when Django is configured, else the machine's
    # (scripts without settings). A day either way does not matter for "not in the future".
    if settings.configured and settings.USE_TZ:
        return timezone.localdate()
    return dt.date.today()


def _birth_date(code: str) -> dt.date | None:
    """The birth date in positions 7–14 of a normalised 18-character ID, None if not a real one."""
    try:
        born = dt.date(int(code[6:10]), int(code[10:12]), int(code[12:14]))
    except ValueError:  # 0230, month 13, …
        return None
    if born.year < RESIDENT_ID_MIN_YEAR or born > _today():
        return None
    return born


def validate_resident_id(value: str) -> str:
    """Check an 18-digit 居民身份证号码 and return it normalised (half-width, upper-case ``X``).

    Verifies: 18 characters, the first 17 digits, a 6-digit area code not starting with 0, a real
    birth date from 1800 up to today, and the check character. Raises ``ValidationError`` with code
    ``resident_id_length``, ``resident_id_format``, ``resident_id_area``, ``resident_id_birth_date``
    or ``resident_id_check``.
    """
    code = normalize_code(value)
    if len(code) == 15 and code.isdigit():
        # First-generation cards (15 digits, no check character) expired in 2013; say so rather
        # than just "wrong length", since the holder may still have the old number on paper.
        raise ValidationError(
            _("这是 15 位的第一代身份证号码，已停止使用，请输入 18 位身份证号码。"),
            code="resident_id_length",
        )
    if len(code) != 18:
        raise ValidationError(
            _("居民身份证号码应为 18 位，当前为 %(length)d 位。"),
            code="resident_id_length",
            params={"length": len(code)},
        )
    if not re.fullmatch(r"[0-9]{17}[0-9X]", code):
        raise ValidationError(
            _("居民身份证号码前 17 位应为数字，最后一位应为数字或 X。"), code="resident_id_format"
        )
    if code[0] == "0":
        raise ValidationError(_("居民身份证号码前 6 位地址码无效。"), code="resident_id_area")
    if _birth_date(code) is None:
        raise ValidationError(
            _("居民身份证号码中的出生日期 %(date)s 无效。"),
            code="resident_id_birth_date",
            params={"date": code[6:14]},
        )
    if resident_id_check_char(code[:17]) != code[17]:
        raise ValidationError(
            _("居民身份证号码校验位错误，请核对是否有数字输错。"), code="resident_id_check"
        )
    return code


def birth_date_from_resident_id(value: str) -> dt.date:
    """The holder's date of birth (for birthday greetings). Validates the whole ID first."""
    born = _birth_date(validate_resident_id(value))
    assert born is not None  # validate_resident_id has rejected IDs without a real date
    return born


def gender_from_resident_id(value: str) -> str:
    """``"male"`` or ``"female"``: the 3-digit sequence (positions 15–17) is odd for men.

    Validates the whole ID first.
    """
    code = validate_resident_id(value)
    return "male" if int(code[16]) % 2 else "female"


# ---------------------------------------------------------------------------------------------
# Mobile numbers
# ---------------------------------------------------------------------------------------------

# Separators people type inside a number: spaces (normalize_code drops them), - . ( )
_MOBILE_SEPARATORS = re.compile(r"[-.()]")
_MAINLAND_MOBILE = re.compile(r"1[0-9]{10}")
_MOBILE_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
}


def normalize_mobile(value: str) -> str:
    """Return a mainland China mobile number as E.164 (``+8613800138000``).

    Accepts ``13800138000``, ``138 0013 8000``, ``138-0013-8000``, ``+86 138 0013 8000``,
    ``008613800138000``, ``8613800138000`` and full-width digits. Two checks must both pass: the
    DOMAIN.md rule (11 digits starting with 1) and libphonenumber's numbering plan (a number block
    that exists and is mobile), so ``12345678901`` is refused although it has 11 digits.
    Numbers of other countries, landlines and Hong Kong/Macao/Taiwan numbers are refused:
    DOMAIN.md §5 defines a mobile as an 11-digit mainland number.
    """
    text = _MOBILE_SEPARATORS.sub("", normalize_code(value))
    if text.startswith("+"):
        if not text.startswith("+86"):
            raise ValidationError(_("只支持中国大陆手机号码（+86）。"), code="mobile_country")
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    elif len(text) == 13 and text.startswith("86"):
        text = text[2:]
    if not _MAINLAND_MOBILE.fullmatch(text):
        raise ValidationError(_("请输入有效的 11 位手机号码。"), code="mobile_format")
    number = phonenumbers.parse("+86" + text)
    if (
        not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number) not in _MOBILE_TYPES
    ):
        raise ValidationError(
            _("%(number)s 不是有效的中国大陆手机号码。"),
            code="mobile_invalid",
            params={"number": text},
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def validate_mobile(value: str) -> None:
    """Django field validator form of :func:`normalize_mobile`: raises or returns None."""
    normalize_mobile(value)


def format_mobile(e164: str) -> str:
    """Show a stored mobile as ``138 0013 8000`` (3-4-4, the way Chinese numbers are read aloud).

    Empty stays empty; anything that is not a mainland mobile is shown unchanged rather than
    hidden, so that odd legacy data is still visible to be corrected.
    """
    if not e164:
        return ""
    digits = e164[3:] if e164.startswith("+86") else e164
    if not _MAINLAND_MOBILE.fullmatch(digits):
        return e164
    return f"{digits[:3]} {digits[3:7]} {digits[7:]}"


# ---------------------------------------------------------------------------------------------
# Passwords
# ---------------------------------------------------------------------------------------------


class PasswordComplexityValidator:
    """At least ``min_classes`` (default 3) of: upper-case, lower-case, digit, symbol.

    等保 2.0 (GB/T 22239-2019) asks for passwords of sufficient complexity; "three of the four
    character classes" is the usual reading and what auditors test. Letters are classed with
    Unicode's notion of case (so full-width ``Ａ`` counts as upper-case); anything that is neither
    a cased letter nor a digit — punctuation, spaces, Chinese characters — counts as a symbol.
    Length, common passwords and similarity to the username are the other validators' job.

    Settings::

        {"NAME": "zhangfang.core.validators.PasswordComplexityValidator",
         "OPTIONS": {"min_classes": 3}}
    """

    def __init__(self, min_classes: int = 3) -> None:
        if not 1 <= min_classes <= 4:
            raise ValueError("min_classes must be between 1 and 4")
        self.min_classes = min_classes

    @staticmethod
    def character_classes(password: str) -> set[str]:
        """Which of ``upper``, ``lower``, ``digit``, ``symbol`` occur in ``password``."""
        found: set[str] = set()
        for char in password:
            if char.isdigit():
                found.add("digit")
            elif char.isupper():
                found.add("upper")
            elif char.islower():
                found.add("lower")
            else:
                found.add("symbol")
        return found

    def validate(self, password: str, user: object | None = None) -> None:
        if len(self.character_classes(password)) < self.min_classes:
            raise ValidationError(
                _("密码太简单：须包含大写字母、小写字母、数字、符号中的至少 %(min_classes)d 类。"),
                code="password_too_simple",
                params={"min_classes": self.min_classes},
            )

    def get_help_text(self) -> str:
        return _("密码须包含大写字母、小写字母、数字、符号中的至少 %(min_classes)d 类。") % {
            "min_classes": self.min_classes
        }

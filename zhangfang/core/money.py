"""Money: ``Decimal`` only, shown as ``¥1,234.56`` and in Chinese capitals (DOMAIN.md §6).

Amounts are ``Decimal`` (or ``int``) with at most two decimal places. Floats are refused with
``TypeError`` because ``0.1 + 0.2`` is not ``0.3``; a third decimal place is refused with
``ValueError`` because rounding money silently would make the figure and the capitals of a receipt
disagree with the ledger.

The capitals follow 中国人民银行《正确填写票据和结算凭证的基本规定》. Where the rules leave a
choice, Zhangfang takes the shorter form, consistently:

* after 角 no 整: ``1409.50`` → 人民币壹仟肆佰零玖元伍角；
* when the 万 (or 亿) digit is 0 but the next digit is not, no 零:
  ``108000`` → 人民币壹拾万捌仟元整；
* when the 元 digit is 0 but the 角 digit is not, no 零: ``10.30`` → 人民币壹拾元叁角.

A 零 is still written when a whole 万 group is empty, because then no 万 marks the place:
``100001000`` → 人民币壹亿零壹仟元整 (writing 零 is always allowed).

Negative amounts are refused (``ValueError``) by :func:`rmb_upper`: receipts and payment notices
are never negative, and the rules have no form for them — a refund is its own document with a
positive amount. :func:`format_rmb` does show negatives (``-¥1,234.56``), e.g. a credit balance on
a statement.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

__all__ = ["CENT", "MAX_AMOUNT", "format_rmb", "rmb_upper", "to_money"]

CENT = Decimal("0.01")
#: The largest amount written in capitals: 9999 9999 9999 9999.99 (up to 仟万亿). Anything larger is
#: a data error, not a bill.
MAX_AMOUNT = Decimal("9999999999999999.99")

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACES = ("", "拾", "佰", "仟")


def _exact_cents(amount: Decimal | int) -> Decimal:
    """``amount`` as a Decimal in whole cents; refuses floats and what would need rounding."""
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int):
        # bool is an int, but True is not one yuan.
        raise TypeError(f"money must be Decimal or int, not {type(amount).__name__}")
    amount = Decimal(amount)
    if not amount.is_finite():
        raise ValueError(f"not an amount of money: {amount}")
    try:
        cents = amount.quantize(CENT)
    except InvalidOperation:  # more digits than the decimal context holds (28)
        raise ValueError(f"amount too large: {amount}") from None
    if cents != amount:
        raise ValueError(f"{amount} has more than two decimal places; round it explicitly first")
    return cents


def _below_10000(number: int) -> str:
    """1–9999 in capitals: one 零 for a run of zeros between digits, none for trailing zeros."""
    words: list[str] = []
    pending_zero = False
    for power in (3, 2, 1, 0):
        digit = number // 10**power % 10
        if digit == 0:
            pending_zero = bool(words)  # a zero after a written digit; written only if one follows
            continue
        if pending_zero:
            words.append("零")
            pending_zero = False
        words.append(_DIGITS[digit] + _PLACES[power])
    return "".join(words)


def _integer(number: int) -> str:
    """A positive whole number of yuan in capitals, without 元.

    Splits off the highest 亿 or 万 section, writes it recursively followed by its unit, then the
    rest. Between the two, one 零 stands for the zeros there, except when the zeros end at the
    unit digit of a section that is itself written (``10,8000`` → 壹拾万捌仟， ``10,1000,0000`` →
    壹拾亿壹仟万); see the module docstring.
    """
    if number < 10**4:
        return _below_10000(number)
    base, unit = (10**8, "亿") if number >= 10**8 else (10**4, "万")
    high, low = divmod(number, base)
    words = _integer(high) + unit
    if low == 0:
        return words
    if low < base // 10:
        # ``low`` starts with a zero: the zeros run into the lower section, past where a unit
        # character could mark them (e.g. 10,0800 → 壹拾万零捌佰).
        return words + "零" + _integer(low)
    if high % 10**4 == 0:
        # The zeros fill a whole 万 group of ``high`` (1,0000|1000,0000 → 壹万亿零壹仟万): no 万 or
        # 亿 is written for that group, so the 零 is what shows the gap.
        return words + "零" + _integer(low)
    return words + _integer(low)


def rmb_upper(amount: Decimal | int) -> str:
    """An amount in Chinese capitals, as written on receipts: ``人民币壹仟肆佰零玖元伍角``.

    Raises ``TypeError`` for floats (and anything but Decimal/int), ``ValueError`` for negative
    amounts, NaN/infinity, more than two decimal places, or more than :data:`MAX_AMOUNT`.
    """
    cents = _exact_cents(amount)
    if cents < 0:
        raise ValueError(f"a receipt amount is never negative: {cents}")
    if cents > MAX_AMOUNT:
        raise ValueError(f"amount too large to write in capitals: {cents}")
    yuan, rest = divmod(int(cents * 100), 100)
    jiao, fen = divmod(rest, 10)

    words = ["人民币"]
    if yuan:
        words.append(_integer(yuan) + "元")
    elif not rest:
        return "人民币零元整"
    if jiao:
        # 元 digit 0 before a 角: the rules allow 零 or nothing; nothing (壹拾元叁角).
        words.append(_DIGITS[jiao] + "角")
    elif fen and yuan:
        # 角 digit 0 before a 分: the rules require 零 after 元 (壹元零伍分), never optional.
        words.append("零")
    if fen:
        words.append(_DIGITS[fen] + "分")
    elif not jiao:
        words.append("整")  # ends at 元: 整 is required; after 角 it may be left out, and is.
    return "".join(words)


def format_rmb(amount: Decimal | int) -> str:
    """``¥1,234.56``, negative ``-¥1,234.56``; type and precision rules as :func:`rmb_upper`."""
    cents = _exact_cents(amount)
    if cents == 0:
        cents = abs(cents)  # Decimal("-0.00") is not a debt
    sign = "-" if cents < 0 else ""
    return f"{sign}¥{abs(cents):,.2f}"


# Digits with optional standard thousands separators, then optional decimals. Separators must be in
# groups of three, so the European "1,5" (one and a half) is refused rather than read as 15.
_AMOUNT = re.compile(r"(?P<whole>[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)?(?:\.(?P<fraction>[0-9]*))?")


def to_money(value: str | Decimal | int | None) -> Decimal:
    """Parse an amount as users type it into a Decimal with exactly two places.

    Accepts ``1234.5``, ``1,234.50``, ``¥1234.50``, ``￥1 234.50``, ``1234.50元``, full-width digits
    and a leading minus sign (whether a negative amount is allowed is the caller's decision).
    Decimal and int pass through the same precision check. Raises ``ValidationError`` for empty or
    malformed text and for more than two decimal places (never rounds), ``TypeError`` for floats.
    """
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        try:
            return _exact_cents(value)
        except ValueError:
            raise ValidationError(
                _("金额最多保留两位小数（到分）。"), code="money_precision"
            ) from None
    if value is not None and not isinstance(value, str):
        raise TypeError(f"money must be text, Decimal or int, not {type(value).__name__}")
    # NFKC: ￥ → ¥, ２ → 2, － → -; the minus sign U+2212 has no compatibility mapping.
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", value or "")).replace("\u2212", "-")
    if not text:
        raise ValidationError(_("请输入金额。"), code="money_required")
    negative = False
    if text.startswith("-"):  # -¥5
        negative, text = True, text[1:]
    text = text.removeprefix("¥")
    if text.startswith("-") and not negative:  # ¥-5
        negative, text = True, text[1:]
    text = text.removesuffix("元")
    match = _AMOUNT.fullmatch(text)
    if not match or not (match["whole"] or match["fraction"]):
        raise ValidationError(
            _("“%(value)s”不是有效的金额，请输入如 1,234.50 的数字。"),
            code="money_invalid",
            params={"value": value},
        )
    fraction = match["fraction"] or ""
    if len(fraction.rstrip("0")) > 2:
        raise ValidationError(_("金额最多保留两位小数（到分）。"), code="money_precision")
    whole = (match["whole"] or "0").replace(",", "")
    try:
        amount = Decimal(f"{whole}.{fraction or '0'}").quantize(CENT)
    except InvalidOperation:  # beyond the decimal context's precision
        raise ValidationError(
            _("“%(value)s”不是有效的金额，请输入如 1,234.50 的数字。"),
            code="money_invalid",
            params={"value": value},
        ) from None
    return -amount if negative and amount else amount

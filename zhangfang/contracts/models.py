"""Contracts and fees (policy 三(四)). For now: the firm's published price list (明码标价)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from zhangfang.clients.models import TaxpayerType


class FeeUnit(models.TextChoices):
    # The same codes as competitors' price units, so the two price lists compare item by item.
    MONTH = "month", _("元/月")
    QUARTER = "quarter", _("元/季")
    YEAR = "year", _("元/年")
    ONCE = "once", _("元/次")


class FeeItem(models.Model):
    """One line of the firm's price list (收费标准), e.g. 小规模纳税人代理记账 ¥300/月."""

    name = models.CharField(_("收费项目"), max_length=100, unique=True)
    unit = models.CharField(
        _("计价单位"), max_length=10, choices=FeeUnit.choices, default=FeeUnit.MONTH
    )
    amount = models.DecimalField(_("标准价格"), max_digits=12, decimal_places=2)
    taxpayer_type = models.CharField(
        _("适用纳税人"),
        max_length=10,
        choices=TaxpayerType.choices,
        blank=True,
        help_text=_("留空表示适用于所有客户。"),
    )
    description = models.CharField(_("说明"), max_length=200, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=100)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("收费标准")
        verbose_name_plural = _("收费标准")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="fee_item_amount_positive"
            )
        ]

    def __str__(self) -> str:
        return self.name

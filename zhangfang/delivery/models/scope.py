"""What the firm does for a client each period (服务范围): the monthly work is generated from it and
from the client's taxpayer type. A client without a row gets the defaults (full bookkeeping and
every periodic filing; the annual 个税汇算 assistance only when asked for)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ServiceScope(models.Model):
    client = models.OneToOneField(
        "clients.Client",
        verbose_name=_("客户"),
        on_delete=models.CASCADE,
        related_name="service_scope",
    )
    bookkeeping = models.BooleanField(
        _("代理记账"), default=True, help_text=_("收票、做账、审核、出报表和归档。")
    )
    vat = models.BooleanField(
        _("增值税及附加申报"),
        default=True,
        help_text=_("一般纳税人按月申报，小规模纳税人按季申报。"),
    )
    individual_income_tax = models.BooleanField(_("个税扣缴申报"), default=True)
    corporate_income_tax = models.BooleanField(_("企业所得税预缴申报"), default=True)
    stamp_duty = models.BooleanField(_("印花税申报"), default=True)
    financial_statements = models.BooleanField(_("财务报表报送"), default=True)
    annual_settlement = models.BooleanField(_("企业所得税汇算清缴"), default=True)
    annual_report = models.BooleanField(_("工商年报"), default=True)
    annual_iit = models.BooleanField(_("个税汇算协助"), default=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("修改人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        verbose_name = _("服务范围")
        verbose_name_plural = _("服务范围")

    def __str__(self) -> str:
        return f"{self.client} · {self._meta.verbose_name}"

"""Client master data, contacts and the assigned team (policy 五: 客户信息管理)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhangfang.core.crypto import EncryptedTextField


class ClientStatus(models.TextChoices):
    PROSPECT = "prospect", _("潜在")
    ACTIVE = "active", _("服务中")
    SUSPENDED = "suspended", _("暂停")
    TERMINATED = "terminated", _("终止")


class TaxpayerType(models.TextChoices):
    SMALL = "small", _("小规模纳税人")
    GENERAL = "general", _("一般纳税人")


class ImportanceTier(models.TextChoices):
    KEY = "A", _("A 重点客户")
    STANDARD = "B", _("B 一般客户")
    BASIC = "C", _("C 普通客户")


class Industry(models.TextChoices):
    """Sections (门类) of GB/T 4754-2017, the national classification of economic activities."""

    AGRICULTURE = "A", _("农、林、牧、渔业")
    MINING = "B", _("采矿业")
    MANUFACTURING = "C", _("制造业")
    UTILITIES = "D", _("电力、热力、燃气及水生产和供应业")
    CONSTRUCTION = "E", _("建筑业")
    TRADE = "F", _("批发和零售业")
    TRANSPORT = "G", _("交通运输、仓储和邮政业")
    HOSPITALITY = "H", _("住宿和餐饮业")
    IT = "I", _("信息传输、软件和信息技术服务业")
    FINANCE = "J", _("金融业")
    REAL_ESTATE = "K", _("房地产业")
    BUSINESS_SERVICES = "L", _("租赁和商务服务业")
    RESEARCH = "M", _("科学研究和技术服务业")
    ENVIRONMENT = "N", _("水利、环境和公共设施管理业")
    RESIDENT_SERVICES = "O", _("居民服务、修理和其他服务业")
    EDUCATION = "P", _("教育")
    HEALTH = "Q", _("卫生和社会工作")
    CULTURE = "R", _("文化、体育和娱乐业")
    PUBLIC = "S", _("公共管理、社会保障和社会组织")
    INTERNATIONAL = "T", _("国际组织")


class ClientTag(models.Model):
    """A firm-defined label on clients (e.g. 高新企业, 出口退税), for targeting bulletins."""

    name = models.CharField(_("标签"), max_length=30, unique=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("客户标签")
        verbose_name_plural = _("客户标签")

    def __str__(self) -> str:
        return self.name


class Client(models.Model):
    name = models.CharField(_("客户名称"), max_length=100)
    short_name = models.CharField(_("简称"), max_length=30, blank=True)
    uscc = models.CharField(
        _("统一社会信用代码"), max_length=18, null=True, blank=True, unique=True
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=ClientStatus.choices, default=ClientStatus.PROSPECT
    )
    taxpayer_type = models.CharField(
        _("纳税人类型"), max_length=10, choices=TaxpayerType.choices, default=TaxpayerType.SMALL
    )
    industry = models.CharField(_("行业"), max_length=2, choices=Industry.choices, blank=True)
    tier = models.CharField(
        _("重要程度"), max_length=1, choices=ImportanceTier.choices, default=ImportanceTier.STANDARD
    )
    legal_representative = models.CharField(_("法定代表人"), max_length=50, blank=True)
    registered_capital = models.DecimalField(
        _("注册资本（元）"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    established_on = models.DateField(_("成立日期"), null=True, blank=True)
    address = models.CharField(_("经营地址"), max_length=200, blank=True)
    # The district (区/县) the client is registered in: bulletins on local policy target it.
    region = models.CharField(_("所在区域"), max_length=30, blank=True, db_index=True)
    tags = models.ManyToManyField(
        ClientTag, verbose_name=_("标签"), blank=True, related_name="clients"
    )
    phone = models.CharField(_("公司电话"), max_length=30, blank=True)
    email = models.EmailField(_("电子邮箱"), blank=True)
    bank_name = models.CharField(_("开户银行"), max_length=100, blank=True)
    bank_account = EncryptedTextField(_("银行账号"), blank=True)
    notes = models.TextField(_("备注"), blank=True)

    department = models.ForeignKey(
        "staff.Department",
        verbose_name=_("服务部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="clients",
    )
    sales_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("业务负责人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="clients_owned",
    )
    accountant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("主办会计"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="clients_as_accountant",
    )
    tax_specialist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("税务专员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="clients_as_tax_specialist",
    )
    customer_service = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("客服专员"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="clients_as_customer_service",
    )

    # Pinyin of the name and short name, full and initials, kept by the service for search.
    search_pinyin = models.CharField(max_length=600, blank=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("客户")
        verbose_name_plural = _("客户")
        indexes = [
            models.Index(fields=["status", "search_pinyin", "id"], name="client_status_order_idx"),
            models.Index(fields=["department", "name"], name="client_department_name_idx"),
            models.Index(fields=["updated_at"], name="client_updated_idx"),
            # The list's default order (pinyin A–Z) reads this index instead of sorting.
            models.Index(fields=["search_pinyin", "id"], name="client_pinyin_order_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class ContactRole(models.TextChoices):
    LEGAL_REPRESENTATIVE = "legal", _("法定代表人")
    FINANCE_MANAGER = "finance", _("财务负责人")
    TAX_AGENT = "tax", _("办税人")
    CONTACT = "contact", _("联系人")


class Contact(models.Model):
    client = models.ForeignKey(
        Client, verbose_name=_("客户"), on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("姓名"), max_length=50)
    role = models.CharField(
        _("身份"), max_length=10, choices=ContactRole.choices, default=ContactRole.CONTACT
    )
    title = models.CharField(_("职务"), max_length=50, blank=True)
    mobile = models.CharField(_("手机号"), max_length=20, blank=True)
    email = models.EmailField(_("电子邮箱"), blank=True)
    wechat = models.CharField(_("微信号"), max_length=50, blank=True)
    id_number = EncryptedTextField(_("身份证号"), blank=True)
    # Taken from the 身份证号 when one is entered, for birthday greetings (policy 四（二）2).
    birthday = models.DateField(_("生日"), null=True, blank=True)
    # Many people celebrate the 农历 date of their birth; the greeting then follows the lunar
    # calendar, converted from ``birthday`` (the solar date of birth).
    birthday_lunar = models.BooleanField(_("按农历过生日"), default=False)
    greetings_opt_out = models.BooleanField(_("不接收祝福"), default=False)
    is_primary = models.BooleanField(_("主要联系人"), default=False)
    notes = models.CharField(_("备注"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["-is_primary", "name", "id"]
        verbose_name = _("联系人")
        verbose_name_plural = _("联系人")
        indexes = [models.Index(fields=["mobile"], name="contact_mobile_idx")]

    def __str__(self) -> str:
        return self.name

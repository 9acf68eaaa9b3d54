"""Staff users and departments (policy 三（一）: the service team)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


class Department(models.Model):
    name = models.CharField(_("部门名称"), max_length=50, unique=True)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("部门")
        verbose_name_plural = _("部门")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A member of staff. Chinese names are one field (``name``); roles are groups."""

    name = models.CharField(_("姓名"), max_length=50)
    department = models.ForeignKey(
        Department,
        verbose_name=_("部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    mobile = models.CharField(_("手机号"), max_length=20, blank=True)
    title = models.CharField(_("职务"), max_length=50, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = UserManager()

    class Meta:
        ordering = ["username"]
        verbose_name = _("员工")
        verbose_name_plural = _("员工")

    def __str__(self) -> str:
        return self.name or self.username

    def get_full_name(self) -> str:
        return self.name or self.username

    def get_short_name(self) -> str:
        return self.name or self.username

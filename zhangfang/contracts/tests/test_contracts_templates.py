"""Contract templates: the default template from the data migration, placeholder validation,
plain substitution (never template code), the administrators' pages and the PDF's text."""

from __future__ import annotations

from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from zhangfang.contracts import templating
from zhangfang.contracts.contract_pdf import contract_pdf
from zhangfang.contracts.models import ContractStatus, ContractTemplate
from zhangfang.contracts.selectors import contracts as selectors
from zhangfang.contracts.services import contracts as services
from zhangfang.contracts.tests.contracts_support import (
    NOW,
    TEMPLATE_NAME,
    contract_in,
    make_firm,
)
from zhangfang.core.errors import ConcurrentEditError, DomainError
from zhangfang.core.models import AuditEvent
from zhangfang.core.money import rmb_upper
from zhangfang.core.tests.pdf_text import pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def firm():
    return make_firm()


# -- the default template ---------------------------------------------------------------------

CLAUSES = [
    "合同双方",
    "服务内容",
    "服务期限",
    "服务费用、付款方式及付款期限",
    "甲方的权利和义务",
    "乙方的权利和义务",
    "保密义务",
    "个人信息",
    "票据交接与签收",
    "会计档案保管",
    "终止时的资料交接",
    "违约责任",
    "争议解决",
    "一式两份",
]


def test_the_migration_installs_the_standard_template():
    template = ContractTemplate.objects.get(name=TEMPLATE_NAME)
    assert template.is_default and template.is_active
    for clause in CLAUSES:
        assert clause in template.body, clause
    assert templating.unknown_placeholders(template.body) == []
    assert selectors.default_template() == template


def test_the_migration_is_reversible_and_keeps_a_used_template(firm):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("zhangfang.contracts.migrations.0004_add_default_contract_template")
    migration.remove_default_template(apps, None)
    assert not ContractTemplate.objects.filter(name=TEMPLATE_NAME).exists()
    migration.add_default_template(apps, None)
    template = ContractTemplate.objects.get(name=TEMPLATE_NAME)
    assert template.body == migration.BODY
    # Once a contract was drafted on it, going back leaves it in place.
    services.contract_draft(plan_version=firm.version, template=template, by=firm.staff.sales1)
    migration.remove_default_template(apps, None)
    assert ContractTemplate.objects.filter(name=TEMPLATE_NAME).exists()


# -- placeholders and substitution ------------------------------------------------------------


def test_placeholders_found_with_or_without_spaces():
    assert templating.placeholders_in("{{甲方名称}} {{ 合同编号 }} {{ 甲方名称 }}") == [
        "甲方名称",
        "合同编号",
    ]


def test_rendering_is_plain_substitution_not_template_code():
    body = "{{ 甲方名称 }} {% load static %}{{ settings.SECRET_KEY }} {{ 甲方名称|upper }}"
    rendered = templating.render(body, {"甲方名称": "{{ 合同编号 }}"})
    # Known names are replaced once (a value is never substituted again); anything else, tags
    # and filters included, stays as the text it is.
    assert rendered.startswith("{{ 合同编号 }} {% load static %}{{ settings.SECRET_KEY }}")
    assert rendered.endswith("{{ 甲方名称|upper }}")


def test_unknown_placeholders_are_refused_by_name(firm):
    with pytest.raises(DomainError) as error:
        services.contract_template_create(
            data={
                "name": "简版",
                "body": "{{ 甲方名称 }} {{ 甲方名字 }} {{ foo.bar }}",
                "is_default": False,
                "is_active": True,
            },
            by=firm.staff.admin,
        )
    assert error.value.field == "body"
    assert "{{ 甲方名字 }}" in error.value.message and "{{ foo.bar }}" in error.value.message
    assert not ContractTemplate.objects.filter(name="简版").exists()


def test_only_administrators_keep_templates(firm):
    with pytest.raises(DomainError):
        services.contract_template_create(
            data={"name": "简版", "body": "x", "is_default": False, "is_active": True},
            by=firm.staff.head1,
        )


def test_a_new_default_unmarks_the_old_one_and_edits_are_locked(firm):
    new = services.contract_template_create(
        data={"name": "简版", "body": "{{ 甲方名称 }}", "is_default": True, "is_active": True},
        by=firm.staff.admin,
    )
    firm.template.refresh_from_db()
    assert not firm.template.is_default
    opened = new.version
    services.contract_template_update(
        template=new,
        data={"name": "简版", "body": "{{ 乙方名称 }}", "is_default": True, "is_active": True},
        expected_version=opened,
        by=firm.staff.admin,
    )
    with pytest.raises(ConcurrentEditError):
        services.contract_template_update(
            template=new,
            data={"name": "简版", "body": "x", "is_default": True, "is_active": True},
            expected_version=opened,
            by=firm.staff.admin,
        )
    assert [
        e.action
        for e in AuditEvent.objects.filter(object_type="contracts.contracttemplate").order_by("id")
    ] == ["create", "update"]


# -- pages ------------------------------------------------------------------------------------


def login(client, user):
    client.force_login(user)


@pytest.mark.parametrize(
    ("who", "status"),
    [("admin", 200), ("head1", 403), ("finance", 403), ("sales1", 403)],
)
def test_template_pages_are_for_administrators(client, firm, who, status):
    login(client, getattr(firm.staff, who))
    pk = firm.template.pk
    for url in (
        reverse("contracts:template_list"),
        reverse("contracts:template_create"),
        reverse("contracts:template_edit", args=[pk]),
        reverse("contracts:template_preview", args=[pk]),
    ):
        assert client.get(url).status_code == status, url


def test_edit_page_names_the_unknown_placeholder_and_keeps_the_text(client, firm):
    login(client, firm.staff.admin)
    url = reverse("contracts:template_edit", args=[firm.template.pk])
    body = "甲方：{{ 甲方名称 }}\n电话：{{ 甲方电话 }}"
    response = client.post(
        url,
        {
            "name": TEMPLATE_NAME,
            "body": body,
            "is_default": "on",
            "is_active": "on",
            "version": firm.template.version,
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "{{ 甲方电话 }}" in page and "未定义的占位符" in page
    assert "电话：{{ 甲方电话 }}" in page  # what was typed is still in the box
    firm.template.refresh_from_db()
    assert "甲方电话" not in firm.template.body


def test_edit_page_saves(client, firm):
    login(client, firm.staff.admin)
    url = reverse("contracts:template_edit", args=[firm.template.pk])
    response = client.post(
        url,
        {
            "name": TEMPLATE_NAME,
            "body": "甲方：{{ 甲方名称 }}",
            "is_default": "on",
            "is_active": "on",
            "version": firm.template.version,
        },
    )
    assert response.status_code == 302
    firm.template.refresh_from_db()
    assert firm.template.body == "甲方：{{ 甲方名称 }}"


def test_create_page(client, firm):
    login(client, firm.staff.admin)
    response = client.post(
        reverse("contracts:template_create"),
        {"name": "简版合同", "body": "{{ 甲方名称 }} 与 {{ 乙方名称 }}", "is_active": "on"},
    )
    assert response.status_code == 302
    assert ContractTemplate.objects.get(name="简版合同").is_default is False


def test_preview_fills_sample_facts(client, firm):
    login(client, firm.staff.admin)
    response = client.get(reverse("contracts:template_preview", args=[firm.template.pk]))
    page = response.content.decode()
    assert "深圳市示例科技有限公司" in page and "人民币肆仟壹佰元整" in page
    assert "{{" not in page.split("bg-body-tertiary", 1)[1][:20000]
    response = client.post(
        reverse("contracts:template_preview_text"), {"body": "{{ 合同编号 }} {{ 错误 }}"}
    )
    assert "HT2026-0001" in response.content.decode()
    assert "错误" in response.content.decode()


# -- PDF --------------------------------------------------------------------------------------


def test_pdf_text_has_number_parties_total_and_clauses(firm):
    contract = contract_in(firm, ContractStatus.APPROVED)
    text = pdf_text(contract_pdf(contract, selectors.contract_lines(contract))).replace(" ", "")
    assert "HT2026-0001" in text
    assert "深圳市艾克米科技有限公司" in text
    assert "91440300MA5G6XRQ3R" in text
    assert "¥4,200.00" in text
    assert rmb_upper(Decimal("4200.00")) == "人民币肆仟贰佰元整"
    assert "合同总额（大写）：人民币肆仟贰佰元整" in text
    assert "保密义务" in text and "会计档案保管" in text
    assert "小规模纳税人代理记账" in text


def test_pdf_page(client, firm):
    contract = contract_in(firm, ContractStatus.DRAFT)
    login(client, firm.staff.sales1)
    response = client.get(reverse("contracts:contract_pdf", args=[contract.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "HT2026-0001" in pdf_text(response.content)

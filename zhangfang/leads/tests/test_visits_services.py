"""Visit services: planning rules, optimistic lock, materials, outcome → stage, cancel, audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from zhangfang.core.errors import ConcurrentEditError, DomainError
from zhangfang.core.models import AuditEvent
from zhangfang.leads.models import Stage, Visit, VisitStatus
from zhangfang.leads.services import visits as services
from zhangfang.leads.tests.factories import ProspectFactory, VisitFactory, tomorrow_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def prospect(sales_firm):
    return ProspectFactory(owner=sales_firm.staff.sales1, company_name="深圳市拜访测试有限公司")


def plan(prospect, by, **changes):
    values = {
        "purpose": "了解记账需求",
        "starts_at": tomorrow_at(14, 30),
        "place": "南山区科技园",
        "staff": [by],
        "materials": [*services.DEFAULT_MATERIALS, "  营业执照复印件 ", ""],
    }
    values.update(changes)
    return services.visit_plan(prospect=prospect, by=by, **values)


def prospect_events(prospect):
    return AuditEvent.objects.filter(anchor_type="leads.prospect", anchor_id=str(prospect.pk))


def test_plan_a_visit_with_default_and_extra_materials(prospect, sales_firm):
    sales1 = sales_firm.staff.sales1
    visit = plan(prospect, sales1, staff=[sales1, sales_firm.staff.head1])
    assert visit.status == VisitStatus.PLANNED
    assert [m["item"] for m in visit.materials] == [
        "公司介绍",
        "服务方案",
        "成功案例",
        "报价单",
        "合同样本",
        "营业执照复印件",
    ]
    assert not any(m["done"] for m in visit.materials)
    assert set(visit.staff.all()) == {sales1, sales_firm.staff.head1}
    event = prospect_events(prospect).get(object_type="leads.visit")
    assert event.action == "create"
    assert event.changes["starts_at"] == [
        None,
        timezone.localtime(visit.starts_at).strftime("%Y-%m-%d %H:%M"),
    ]
    assert "部长甲" in event.changes["staff"][1]


def test_a_time_in_the_past_and_no_staff_are_refused(prospect, sales_firm):
    sales1 = sales_firm.staff.sales1
    with pytest.raises(DomainError, match="拜访时间"):
        plan(prospect, sales1, starts_at=timezone.now() - dt.timedelta(minutes=1))
    with pytest.raises(DomainError, match="拜访人员"):
        plan(prospect, sales1, staff=[])
    assert not Visit.objects.exists()


def test_update_keeps_ticks_and_refuses_a_stale_version(prospect, sales_firm):
    sales1 = sales_firm.staff.sales1
    visit = plan(prospect, sales1)
    services.visit_toggle_material(visit=visit, index=0, by=sales1)
    updated = services.visit_update(
        visit=visit,
        purpose="签约前沟通",
        starts_at=visit.starts_at,
        place="福田区",
        staff=[sales1],
        materials=["公司介绍", "报价单"],
        expected_version=visit.version,
        by=sales1,
    )
    assert updated.version == visit.version + 1
    assert updated.materials == [
        {"item": "公司介绍", "done": True},
        {"item": "报价单", "done": False},
    ]
    with pytest.raises(ConcurrentEditError):
        services.visit_update(
            visit=visit,
            purpose="别人的修改",
            starts_at=visit.starts_at,
            place="福田区",
            staff=[sales1],
            materials=[],
            expected_version=visit.version,  # the version opened before the first save
            by=sales1,
        )
    assert Visit.objects.get(pk=visit.pk).purpose == "签约前沟通"


def test_toggle_material_both_ways_is_audited(prospect, sales_firm):
    sales1 = sales_firm.staff.sales1
    visit = plan(prospect, sales1)
    visit = services.visit_toggle_material(visit=visit, index=1, by=sales1)
    assert visit.materials[1] == {"item": "服务方案", "done": True}
    visit = services.visit_toggle_material(visit=visit, index=1, by=sales1)
    assert visit.materials[1]["done"] is False
    assert prospect_events(prospect).filter(detail__contains="服务方案").count() == 2
    with pytest.raises(DomainError):
        services.visit_toggle_material(visit=visit, index=99, by=sales1)


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        (Stage.LEAD, Stage.VISIT),
        (Stage.ASSESSMENT, Stage.VISIT),
        (Stage.VISIT, Stage.VISIT),
        (Stage.NEGOTIATION, Stage.NEGOTIATION),
    ],
)
def test_recording_the_outcome_moves_an_early_prospect_to_visit(sales_firm, stage, expected):
    prospect = ProspectFactory(owner=sales_firm.staff.sales1, stage=stage)
    visit = VisitFactory(prospect=prospect, starts_at=timezone.now() - dt.timedelta(hours=2))
    visit = services.visit_record_outcome(
        visit=visit,
        outcome="客户有意向，需要报价",
        next_step="发送报价单",
        next_step_on=timezone.localdate() + dt.timedelta(days=3),
        by=sales_firm.staff.sales1,
    )
    assert visit.status == VisitStatus.DONE and visit.next_step == "发送报价单"
    prospect.refresh_from_db()
    assert prospect.stage == expected


def test_outcome_is_required_and_a_cancelled_visit_cannot_be_recorded(prospect, sales_firm):
    sales1 = sales_firm.staff.sales1
    visit = VisitFactory(prospect=prospect)
    with pytest.raises(DomainError, match="拜访结果"):
        services.visit_record_outcome(visit=visit, outcome="  ", by=sales1)
    with pytest.raises(DomainError, match="取消原因"):
        services.visit_cancel(visit=visit, reason="", by=sales1)
    visit = services.visit_cancel(visit=visit, reason="客户临时出差", by=sales1)
    assert visit.status == VisitStatus.CANCELLED and visit.outcome == "客户临时出差"
    with pytest.raises(DomainError):
        services.visit_record_outcome(visit=visit, outcome="见面了", by=sales1)
    with pytest.raises(DomainError):
        services.visit_toggle_material(visit=visit, index=0, by=sales1)
    prospect.refresh_from_db()
    assert prospect.stage == Stage.LEAD
    assert prospect_events(prospect).filter(action="status", detail="客户临时出差").exists()

from zhangfang.leads.models import Stage
from zhangfang.leads.tests.factories import ProspectFactory


def test_factory_makes_a_lead_owned_in_the_owners_department(sales_firm):
    p = ProspectFactory(owner=sales_firm.staff.sales1)
    assert p.stage == Stage.LEAD
    assert p.channel.code == "walk_in"
    assert p.department == sales_firm.d1
    other = ProspectFactory()
    assert other.owner.groups.filter(name="sales").exists()

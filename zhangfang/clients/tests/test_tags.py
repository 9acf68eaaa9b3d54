"""Client region and tags: the form, the audit trail, the list's filters, the tag management page
and the demo firm's regions and tags (policy 四（二）1 targets bulletins by region or tag)."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from zhangfang.clients import services
from zhangfang.clients.models import Client, ClientTag
from zhangfang.clients.tests.factories import ClientFactory
from zhangfang.core.errors import ConcurrentEditError, DomainError
from zhangfang.core.models import AuditEvent
from zhangfang.staff.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIST = reverse("clients:list")
TAGS = reverse("clients:tag_list")


def events_for(obj):
    return AuditEvent.objects.filter(anchor_type=obj._meta.label_lower, anchor_id=str(obj.pk))


def names(response) -> list[str]:
    return [c.name for c in response.context["page"].object_list]


@pytest.fixture
def tags(db):
    return {name: ClientTag.objects.create(name=name) for name in ("高新技术企业", "出口退税")}


def edit_data(acme: Client, **changes) -> dict:
    data = {
        "name": acme.name,
        "short_name": acme.short_name,
        "uscc": acme.uscc or "",
        "taxpayer_type": acme.taxpayer_type,
        "industry": acme.industry,
        "tier": acme.tier,
        "version": acme.version,
    }
    data.update(changes)
    return data


# -- the client form and services ---------------------------------------------------------------


def test_create_through_the_page_sets_region_and_tags_and_audits_them(client, firm, tags):
    client.force_login(firm.staff.head1)
    response = client.post(
        reverse("clients:create"),
        {
            "name": "深圳市大疆创新科技有限公司",
            "status": "active",
            "taxpayer_type": "general",
            "tier": "A",
            "region": "  南山区 ",
            "tags": [tags["高新技术企业"].pk, tags["出口退税"].pk],
            "department": firm.d1.pk,
        },
    )
    acme = Client.objects.get(name="深圳市大疆创新科技有限公司")
    assert response.status_code == 302
    assert acme.region == "南山区"
    assert set(acme.tags.values_list("name", flat=True)) == {"高新技术企业", "出口退税"}
    event = events_for(acme).get(action="create")
    assert event.changes["region"] == [None, "南山区"]
    assert event.changes["tags"] == [None, "出口退税、高新技术企业"]


def test_form_offers_the_tags_and_the_regions_in_use(client, firm, tags):
    Client.objects.filter(pk=firm.ours.pk).update(region="龙岗区")
    Client.objects.filter(pk=firm.theirs.pk).update(region="天河区")
    client.force_login(firm.staff.head1)
    response = client.get(reverse("clients:create"))
    text = response.text
    assert 'list="region-options"' in text and '<datalist id="region-options">' in text
    assert '<option value="龙岗区">' in text
    # Regions of clients outside the user's scope are not suggested.
    assert "天河区" not in text
    assert "高新技术企业" in text and 'type="checkbox" name="tags"' in text


def test_edit_through_the_page_changes_tags_audited_and_version_bumped(client, firm, tags):
    firm.ours.tags.add(tags["高新技术企业"])
    client.force_login(firm.staff.acct1)
    url = reverse("clients:edit", args=[firm.ours.pk])
    response = client.post(url, edit_data(firm.ours, region="龙岗区", tags=[tags["出口退税"].pk]))
    assert response.status_code == 302
    firm.ours.refresh_from_db()
    assert list(firm.ours.tags.values_list("name", flat=True)) == ["出口退税"]
    assert firm.ours.version == 2
    event = events_for(firm.ours).get(action="update")
    assert event.changes == {"region": ["", "龙岗区"], "tags": ["高新技术企业", "出口退税"]}
    # Saving the same values again records no change.
    client.post(url, edit_data(firm.ours, region="龙岗区", tags=[tags["出口退税"].pk]))
    assert events_for(firm.ours).filter(action="update").count() == 1


def test_emptying_the_tags_on_the_page_removes_them(client, firm, tags):
    firm.ours.tags.add(*tags.values())
    client.force_login(firm.staff.acct1)
    client.post(reverse("clients:edit", args=[firm.ours.pk]), edit_data(firm.ours))
    assert not firm.ours.tags.exists()


def test_service_update_without_tags_keeps_them(firm, tags):
    firm.ours.tags.add(tags["出口退税"])
    services.client_update(
        client=firm.ours, data={"phone": "0755-1"}, expected_version=1, by=firm.staff.acct1
    )
    assert list(firm.ours.tags.all()) == [tags["出口退税"]]
    assert "tags" not in events_for(firm.ours).get(action="update").changes


def test_stale_version_is_refused_and_the_tags_stay(firm, tags):
    services.client_update(
        client=firm.ours,
        data={"tags": [tags["出口退税"]]},
        expected_version=1,
        by=firm.staff.acct1,
    )
    with pytest.raises(ConcurrentEditError):
        services.client_update(
            client=firm.ours,
            data={"tags": [tags["高新技术企业"]]},
            expected_version=1,
            by=firm.staff.head1,
        )
    assert list(firm.ours.tags.all()) == [tags["出口退税"]]


def test_conflict_page_names_the_tags_the_other_person_saved(client, firm, tags):
    client.force_login(firm.staff.acct1)
    url = reverse("clients:edit", args=[firm.ours.pk])
    opened = edit_data(firm.ours)
    client.post(url, {**opened, "tags": [tags["出口退税"].pk]})
    response = client.post(url, {**opened, "tags": [tags["高新技术企业"].pk]})
    assert "其他人已修改" in response.text
    assert ("标签", "出口退税") in [
        (str(label), value) for label, value in response.context["changed_since"]
    ]


def test_overview_shows_region_and_tags(client, firm, tags):
    Client.objects.filter(pk=firm.ours.pk).update(region="龙岗区")
    firm.ours.tags.add(tags["高新技术企业"])
    client.force_login(firm.staff.acct1)
    for url in (
        reverse("clients:detail", args=[firm.ours.pk]),
        reverse("clients:tab", args=[firm.ours.pk, "overview"]),
    ):
        text = client.get(url).text
        assert "所在区域" in text and "龙岗区" in text and "高新技术企业" in text
        assert "出口退税" not in text


# -- the client list -----------------------------------------------------------------------------


def test_list_filters_by_tag_and_by_region(client, firm, tags):
    client.force_login(firm.staff.admin)
    firm.ours.tags.add(tags["高新技术企业"])
    firm.theirs.tags.add(tags["高新技术企业"], tags["出口退税"])
    Client.objects.filter(pk=firm.ours.pk).update(region="龙岗区")
    Client.objects.filter(pk=firm.theirs.pk).update(region="天河区")
    assert names(client.get(LIST, {"tag": tags["出口退税"].pk})) == [firm.theirs.name]
    assert sorted(names(client.get(LIST, {"tag": tags["高新技术企业"].pk}))) == sorted(
        [firm.ours.name, firm.theirs.name]
    )
    assert names(client.get(LIST, {"region": "龙岗区"})) == [firm.ours.name]
    assert names(client.get(LIST, {"region": "龙岗区", "tag": tags["出口退税"].pk})) == []
    # An unknown tag id or a malformed one: nothing matches, or the filter is ignored.
    assert names(client.get(LIST, {"tag": 999999})) == []
    assert len(names(client.get(LIST, {"tag": "x"}))) == 2


def test_list_filter_options_list_tags_and_only_visible_regions(client, firm, tags):
    Client.objects.filter(pk=firm.ours.pk).update(region="龙岗区")
    Client.objects.filter(pk=firm.theirs.pk).update(region="天河区")
    client.force_login(firm.staff.head2)
    bar = client.get(LIST).context["filter_bar"]
    fields = {field.name: field for field in bar.fields}
    assert list(fields["region"].options) == [("天河区", "天河区")]
    assert list(fields["tag"].options) == [
        (tags["出口退税"].pk, "出口退税"),
        (tags["高新技术企业"].pk, "高新技术企业"),
    ]


def test_a_head_filtering_by_tag_sees_only_their_clients(client, firm, tags):
    firm.ours.tags.add(tags["出口退税"])
    firm.theirs.tags.add(tags["出口退税"])
    client.force_login(firm.staff.head2)
    assert names(client.get(LIST, {"tag": tags["出口退税"].pk})) == [firm.theirs.name]


@pytest.mark.parametrize("rows", [5, 40])
def test_tag_and_region_filters_keep_the_query_count(
    client, firm, tags, rows, django_assert_num_queries
):
    client.force_login(firm.staff.head1)
    for n in range(rows):
        acme = ClientFactory(name=f"标签计数{n}有限公司", department=firm.d1, region="南山区")
        acme.tags.add(*tags.values())
    params = {"tag": tags["出口退税"].pk, "region": "南山区"}
    client.get(LIST)  # the first request of a session records its activity time
    # session, user, roles, count, page ids, rows, staff, department, region and tag options
    with django_assert_num_queries(9):
        response = client.get(LIST, params)
    assert len(response.context["page"].object_list) == min(rows, 25)
    with django_assert_num_queries(6):
        response = client.get(LIST, params, headers={"HX-Request": "true"})
    assert len(response.context["page"].object_list) == min(rows, 25)


def test_export_has_region_and_tags(client, firm, tags):
    from openpyxl import load_workbook

    Client.objects.filter(pk=firm.ours.pk).update(region="龙岗区")
    firm.ours.tags.add(*tags.values())
    client.force_login(firm.staff.admin)
    response = client.get(reverse("clients:export"), {"q": "hwjs"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.values)
    header, row = rows[0], rows[1]
    assert row[header.index("所在区域")] == "龙岗区"
    assert row[header.index("标签")] == "出口退税、高新技术企业"


# -- the tag management page ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("admin", 200),
        ("head1", 200),
        ("head2", 200),
        ("acct1", 403),
        ("tax1", 403),
        ("service1", 403),
        ("sales1", 403),
        ("finance", 403),
    ],
)
def test_tag_pages_role_matrix(client, firm, tags, who, status):
    tag = tags["出口退税"]
    client.force_login(getattr(firm.staff, who))
    assert client.get(TAGS).status_code == status
    assert client.get(reverse("clients:tag_create")).status_code == status
    assert client.get(reverse("clients:tag_edit", args=[tag.pk])).status_code == status
    response = client.post(reverse("clients:tag_delete", args=[tag.pk]))
    assert response.status_code == (302 if status == 200 else 403)
    assert ClientTag.objects.filter(pk=tag.pk).exists() == (status != 200)


def test_tag_pages_need_a_login_and_a_role(client, firm, tags):
    tag = tags["出口退税"]
    response = client.get(TAGS)
    assert response.status_code == 302 and "login" in response["Location"]
    outsider = UserFactory(username="outsider", department=firm.d1, roles=[])
    client.force_login(outsider)
    assert client.get(TAGS).status_code == 403
    assert client.post(reverse("clients:tag_delete", args=[tag.pk])).status_code == 403
    assert ClientTag.objects.filter(pk=tag.pk).exists()


def test_missing_tag_is_404(client, firm):
    client.force_login(firm.staff.admin)
    assert client.get(reverse("clients:tag_edit", args=[999])).status_code == 404
    assert client.post(reverse("clients:tag_delete", args=[999])).status_code == 404


def test_tag_list_shows_client_counts_and_links_to_the_filtered_list(client, firm, tags):
    firm.ours.tags.add(tags["出口退税"])
    firm.theirs.tags.add(tags["出口退税"])
    client.force_login(firm.staff.head1)
    response = client.get(TAGS)
    counts = {tag.name: tag.client_count for tag in response.context["tags"]}
    assert counts == {"出口退税": 2, "高新技术企业": 0}
    assert f'href="{LIST}?tag={tags["出口退税"].pk}"' in response.text
    assert "从 2 个客户上移除" in response.text  # the delete confirmation says what it does


@pytest.mark.parametrize("count", [3, 30])
def test_tag_list_query_count_does_not_grow(client, firm, count, django_assert_num_queries):
    for n in range(count):
        ClientTag.objects.create(name=f"标签{n}").clients.add(firm.ours)
    client.force_login(firm.staff.admin)
    client.get(TAGS)
    # session, user, roles, tags with counts
    with django_assert_num_queries(4):
        response = client.get(TAGS)
    assert len(response.context["tags"]) == count


def test_create_tag_through_the_page_is_audited(client, firm):
    client.force_login(firm.staff.head1)
    response = client.post(reverse("clients:tag_create"), {"name": "  跨境 电商 "})
    assert response.status_code == 302 and response["Location"] == TAGS
    tag = ClientTag.objects.get()
    assert tag.name == "跨境 电商"
    event = events_for(tag).get(action="create")
    assert event.actor == firm.staff.head1 and event.changes == {"name": [None, "跨境 电商"]}


@pytest.mark.parametrize("name", ["出口退税", " 出口退税 ", "Export", "EXPORT"])
def test_duplicate_tag_name_is_refused_beside_the_field(client, firm, name):
    ClientTag.objects.create(name="出口退税")
    ClientTag.objects.create(name="export")
    client.force_login(firm.staff.admin)
    response = client.post(reverse("clients:tag_create"), {"name": name})
    assert response.status_code == 200
    assert "已有名为" in response.context["form"].errors["name"][0]
    assert ClientTag.objects.count() == 2


def test_empty_tag_name_is_refused(client, firm):
    client.force_login(firm.staff.admin)
    response = client.post(reverse("clients:tag_create"), {"name": "   "})
    assert response.status_code == 200 and "name" in response.context["form"].errors
    assert not ClientTag.objects.exists()


def test_rename_keeps_the_tag_on_its_clients_and_is_audited(client, firm, tags):
    tag = tags["出口退税"]
    firm.ours.tags.add(tag)
    client.force_login(firm.staff.head1)
    url = reverse("clients:tag_edit", args=[tag.pk])
    assert client.get(url).context["form"]["name"].value() == "出口退税"
    response = client.post(url, {"name": "出口退（免）税", "original": "出口退税"})
    assert response.status_code == 302
    assert list(firm.ours.tags.values_list("name", flat=True)) == ["出口退（免）税"]
    event = events_for(tag).get(action="update")
    assert event.changes == {"name": ["出口退税", "出口退（免）税"]}
    assert "出口退（免）税" in client.get(url).text  # the history on the page


def test_rename_to_an_existing_name_is_refused(client, firm, tags):
    tag = tags["出口退税"]
    client.force_login(firm.staff.admin)
    response = client.post(
        reverse("clients:tag_edit", args=[tag.pk]),
        {"name": "高新技术企业", "original": "出口退税"},
    )
    assert response.status_code == 200 and "name" in response.context["form"].errors
    tag.refresh_from_db()
    assert tag.name == "出口退税"


def test_rename_after_someone_else_renamed_is_refused(client, firm, tags):
    tag = tags["出口退税"]
    services.tag_rename(tag=tag, name="退税", by=firm.staff.admin)
    client.force_login(firm.staff.head1)
    response = client.post(
        reverse("clients:tag_edit", args=[tag.pk]), {"name": "出口", "original": "出口退税"}
    )
    assert response.status_code == 200 and "退税" in response.context["conflict"]
    assert response.context["form"]["original"].value() == "退税"
    tag.refresh_from_db()
    assert tag.name == "退税"


def test_delete_removes_the_tag_from_clients_and_is_audited(client, firm, tags):
    tag = tags["出口退税"]
    firm.ours.tags.add(tag, tags["高新技术企业"])
    firm.theirs.tags.add(tag)
    client.force_login(firm.staff.admin)
    assert client.get(reverse("clients:tag_delete", args=[tag.pk])).status_code == 405
    response = client.post(reverse("clients:tag_delete", args=[tag.pk]), follow=True)
    assert "并从 2 个客户移除" in response.text
    assert not ClientTag.objects.filter(pk=tag.pk).exists()
    assert Client.objects.count() == 2
    assert list(firm.ours.tags.all()) == [tags["高新技术企业"]]
    event = AuditEvent.objects.get(action="delete", object_type="clients.clienttag")
    assert event.changes == {"name": ["出口退税", None]} and "2" in event.detail


def test_tag_services_refuse_bad_names(firm, tags):
    with pytest.raises(DomainError) as refused:
        services.tag_create(name="x" * 31, by=firm.staff.admin)
    assert refused.value.field == "name"
    with pytest.raises(DomainError):
        services.tag_rename(tag=tags["出口退税"], name="高新技术企业", by=firm.staff.admin)


# -- the demo firm -------------------------------------------------------------------------------


def test_demo_clients_have_their_district_as_region_and_some_tags(db):
    from zhangfang.clients.demo import DEMO_TAGS, HUAWEI_NAME, build_demo_firm

    build_demo_firm(clients=30)
    for name, address, region in Client.objects.values_list("name", "address", "region"):
        # The district (区, 县 or a 东莞 town) follows the city in the address.
        assert region and f"市{region}" in address, name
    assert Client.objects.get(name=HUAWEI_NAME).region == "龙岗区"
    assert set(ClientTag.objects.values_list("name", flat=True)) == {t[0] for t in DEMO_TAGS}
    tagged = Client.objects.filter(tags__isnull=False).distinct().count()
    assert 0 < tagged < 30
    for acme in Client.objects.filter(tags__name="小型微利企业"):
        assert acme.taxpayer_type == "small"
    # A second build reuses the tags rather than failing on their unique names.
    Client.objects.all().delete()
    build_demo_firm(clients=5)
    assert ClientTag.objects.count() == len(DEMO_TAGS)

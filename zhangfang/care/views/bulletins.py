"""Policy bulletin pages (policy 四（二）1): the list with reach and opens, writing and editing
with a live preview of the clients targeted, the detail with who received and who opened it
(totals, a delivery table, retry, Excel export), and the client's reading page (no login)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhangfang.care.forms.bulletins import (
    BulletinFilterForm,
    BulletinForm,
    DeliveryFilterForm,
    TargetPreviewForm,
)
from zhangfang.care.models import (
    Bulletin,
    BulletinCategory,
    BulletinStatus,
    DeliveryChannel,
    DeliveryStatus,
)
from zhangfang.care.selectors import bulletins as selectors
from zhangfang.care.selectors.targeting import Target
from zhangfang.care.services import bulletins as services
from zhangfang.core import audit, links
from zhangfang.core.errors import DomainError
from zhangfang.core.excel import xlsx_response
from zhangfang.core.forms import save_edit, submit
from zhangfang.core.listing import FilterBar, FilterField, ListState, wants_fragment
from zhangfang.core.permissions import role_required
from zhangfang.core.selectors import audit_history_for

PAGE_SIZE = 25
DELIVERY_PAGE_SIZE = 50

writers = role_required(*services.WRITE_ROLES)

STATUS_COLOURS = {BulletinStatus.DRAFT: "secondary", BulletinStatus.SENT: "success"}
DELIVERY_COLOURS = {
    DeliveryStatus.QUEUED: "info",
    DeliveryStatus.SENT: "success",
    DeliveryStatus.FAILED: "danger",
    DeliveryStatus.SKIPPED: "secondary",
}


def access_bulletin(user, pk: int) -> Bulletin:
    """The bulletin if ``user`` may read it: a published one for everyone logged in, a draft
    for those who write bulletins; 404 otherwise (a draft is not announced to readers)."""
    bulletin = selectors.bulletin_get(pk=pk, drafts=services.can_write(user))
    if bulletin is None:
        raise Http404
    return bulletin


# ---------------------------------------------------------------------------------------------
# List
# ---------------------------------------------------------------------------------------------

COLUMNS = [
    ("title", gettext_lazy("标题")),
    ("", gettext_lazy("类别")),
    ("", gettext_lazy("状态")),
    ("sent", gettext_lazy("发布时间")),
    ("", gettext_lazy("送达客户")),
    ("", gettext_lazy("已阅读")),
    ("", gettext_lazy("撰写人")),
]


def _list_bar(filters: selectors.BulletinFilters, state: ListState, drafts: bool) -> FilterBar:
    fields = [FilterField.search(_("搜索"), filters.q, placeholder=_("标题或摘要"))]
    if drafts:
        fields.append(
            FilterField("status", _("状态"), value=filters.status, options=BulletinStatus.choices)
        )
    fields.append(
        FilterField("category", _("类别"), value=filters.category, options=BulletinCategory.choices)
    )
    return FilterBar(
        action=reverse("care:bulletin_list"),
        target="#bulletin-table",
        fields=fields,
        hidden={"sort": state.sort},
    )


def bulletin_list(request):
    fragment = wants_fragment(request)
    drafts = services.can_write(request.user)
    state = ListState.from_request(request, sorts=selectors.BULLETIN_SORTS, default_sort="-created")
    filters = BulletinFilterForm(request.GET).filters()
    page = state.paginate(
        selectors.bulletin_list(filters=filters, drafts=drafts, ordering=state.ordering()),
        per_page=PAGE_SIZE,
    )
    reach = selectors.bulletin_reach([row.pk for row in page.object_list])
    empty = selectors.Reach()
    for row in page.object_list:
        row.reach = reach.get(row.pk, empty)
    context = {
        "page": page,
        "page_links": state.page_links(page),
        "state": state,
        "filters": filters,
        "filter_bar": None if fragment else _list_bar(filters, state, drafts),
        "columns": [state.column(key, label) for key, label in COLUMNS],
        "status_colours": STATUS_COLOURS,
        "can_write": drafts,
    }
    template = "care/bulletin_list.html"
    return render(request, f"{template}#table" if fragment else template, context)


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


def _form_page(request, form: BulletinForm, context: dict, preview: selectors.Preview):
    context.update(form=context.get("form", form), preview=preview)
    return render(request, "care/bulletin_form.html", context)


@writers
def bulletin_create(request):
    form = BulletinForm(request.POST or None)
    created: list[Bulletin] = []
    if submit(
        request,
        form,
        lambda: created.append(
            services.bulletin_create(data=form.bulletin_data(), by=request.user)
        ),
    ):
        messages.success(request, _("政策资讯已保存为草稿，核对送达范围后即可发布。"))
        return redirect("care:bulletin_detail", pk=created[0].pk)
    target = form.target() if form.is_bound else Target()
    return _form_page(request, form, {}, selectors.target_preview(target))


@writers
def bulletin_edit(request, pk: int):
    bulletin = access_bulletin(request.user, pk)
    form = BulletinForm(request.POST or None, instance=bulletin)
    context = {"form": form, "b": bulletin}
    if save_edit(
        request,
        form,
        context,
        save=lambda version: services.bulletin_update(
            bulletin=bulletin, data=form.bulletin_data(), expected_version=version, by=request.user
        ),
        reload=lambda: access_bulletin(request.user, pk),
    ):
        messages.success(request, _("政策资讯已保存。"))
        return redirect("care:bulletin_detail", pk=pk)
    target = context["form"].target() if form.is_bound else services.target_of(bulletin)
    return _form_page(request, form, context, selectors.target_preview(target))


@writers
@require_GET
def bulletin_preview(request):
    """The form's live preview (htmx): how many clients in service the criteria reach."""
    preview = selectors.target_preview(TargetPreviewForm(request.GET).target())
    return render(request, "care/bulletin_form.html#preview", {"preview": preview})


# ---------------------------------------------------------------------------------------------
# Detail
# ---------------------------------------------------------------------------------------------

DELIVERY_COLUMNS = [
    ("client", gettext_lazy("客户")),
    ("", gettext_lazy("渠道")),
    ("", gettext_lazy("联系人")),
    ("", gettext_lazy("发送地址")),
    ("", gettext_lazy("状态")),
    ("sent", gettext_lazy("送达时间")),
    ("opened", gettext_lazy("打开时间")),
]


def _delivery_bar(bulletin: Bulletin, filters: selectors.DeliveryFilters, state) -> FilterBar:
    return FilterBar(
        action=reverse("care:bulletin_detail", args=[bulletin.pk]),
        target="#delivery-table",
        fields=[
            FilterField.search(_("客户"), filters.q, placeholder=_("客户名称")),
            FilterField("status", _("状态"), value=filters.status, options=DeliveryStatus.choices),
            FilterField(
                "channel", _("渠道"), value=filters.channel, options=DeliveryChannel.choices
            ),
            FilterField("opened", _("只看已阅读"), "check", filters.opened),
        ],
        hidden={"sort": state.sort},
    )


def bulletin_detail(request, pk: int):
    bulletin = access_bulletin(request.user, pk)
    fragment = wants_fragment(request)
    state = ListState.from_request(request, sorts=selectors.DELIVERY_SORTS, default_sort="client")
    filters = DeliveryFilterForm(request.GET).filters()
    page = state.paginate(
        selectors.delivery_list(
            user=request.user, bulletin=bulletin, filters=filters, ordering=state.ordering()
        ),
        per_page=DELIVERY_PAGE_SIZE,
    )
    context = {
        "b": bulletin,
        "page": page,
        "page_links": state.page_links(page),
        "state": state,
        "filters": filters,
        "columns": [state.column(key, label) for key, label in DELIVERY_COLUMNS],
        "delivery_colours": DELIVERY_COLOURS,
        "export_query": state.querystring(page=None),
        "all_clients": selectors.sees_every_client(request.user),
    }
    template = "care/bulletin_detail.html"
    if fragment:
        return render(request, f"{template}#deliveries", context)
    is_draft = bulletin.status == BulletinStatus.DRAFT
    context.update(
        filter_bar=_delivery_bar(bulletin, filters, state),
        totals=None if is_draft else selectors.delivery_totals(bulletin),
        preview=selectors.target_preview(services.target_of(bulletin)) if is_draft else None,
        statuses=DeliveryStatus.choices,
        status_colours=STATUS_COLOURS,
        can_write=services.can_write(request.user),
        channel_labels=dict(DeliveryChannel.choices),
        targets=selectors.target_labels(bulletin),
        events=audit_history_for(bulletin, limit=50),
    )
    return render(request, template, context)


@writers
@require_POST
def bulletin_publish(request, pk: int):
    bulletin = access_bulletin(request.user, pk)
    try:
        result = services.bulletin_publish(
            bulletin=bulletin, by=request.user, base_url=links.request_base_url(request)
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("care:bulletin_detail", pk=pk)
    if result.first:
        text = _("政策资讯已发布，已存入 %(count)s 位客户的档案。") % {
            "count": result.clients_added
        }
    elif result.clients_added or result.messages_added:
        text = _("已补发给 %(count)s 位新符合条件的客户。") % {"count": result.clients_added}
    else:
        text = _("没有新的符合条件的客户，无需补发。")
    messages.success(request, text + _sending_note(result))
    return redirect("care:bulletin_detail", pk=pk)


def _sending_note(result: services.PublishResult) -> str:
    if result.send_now:
        return _("%(count)s 条外发消息已发送，结果见下表。") % {"count": result.queued}
    if result.queued:
        return _("%(count)s 条外发消息较多，将由后台任务分批发送，请稍后刷新查看结果。") % {
            "count": result.queued
        }
    return ""


@writers
@require_POST
def bulletin_retry(request, pk: int):
    bulletin = access_bulletin(request.user, pk)
    try:
        result = services.bulletin_retry_failed(
            bulletin=bulletin, by=request.user, base_url=links.request_base_url(request)
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("已重新发送 %(count)s 条失败的消息。") % {"count": result.messages_added}
            + _sending_note(result),
        )
    return redirect("care:bulletin_detail", pk=pk)


@require_GET
def bulletin_export(request, pk: int):
    """The delivery table as filtered, every page, as Excel; audited."""
    bulletin = access_bulletin(request.user, pk)
    state = ListState.from_request(request, sorts=selectors.DELIVERY_SORTS, default_sort="client")
    filters = DeliveryFilterForm(request.GET).filters()
    deliveries = selectors.delivery_list(
        user=request.user, bulletin=bulletin, filters=filters, ordering=state.ordering()
    )
    rows = [
        [
            row.client.name,
            row.get_channel_display(),
            row.contact.name if row.contact else "",
            row.address,
            row.get_status_display(),
            row.error,
            row.sent_at,
            row.opened_at,
        ]
        for row in deliveries.iterator(chunk_size=2000)
    ]
    audit.record(
        action="export",
        by=request.user,
        obj=bulletin,
        detail=_("导出送达记录（%(count)s 条）") % {"count": len(rows)},
    )
    return xlsx_response(
        filename=_("政策资讯送达记录") + f"-{bulletin.pk}.xlsx",
        sheet=_("送达记录"),
        headers=[
            _("客户"),
            _("渠道"),
            _("联系人"),
            _("发送地址"),
            _("状态"),
            _("失败原因"),
            _("送达时间"),
            _("打开时间"),
        ],
        rows=rows,
    )


# ---------------------------------------------------------------------------------------------
# The client's reading page (no login)
# ---------------------------------------------------------------------------------------------


@login_not_required
@never_cache
@require_http_methods(["GET", "HEAD"])
def bulletin_public(request, token: str):
    """The bulletin as the client reads it from a message. The first opening is recorded; a
    member of staff who is logged in (checking the link) does not count as the client, nor does
    a HEAD request (link checkers of mail servers)."""
    delivery = services.delivery_from_token(token)
    if delivery is None:
        return links.no_index(
            render(request, "care/bulletin_public.html", {"invalid": True}, status=404)
        )
    if request.method == "GET" and not request.user.is_authenticated:
        services.bulletin_open(delivery=delivery)
    return links.no_index(
        render(request, "care/bulletin_public.html", {"b": delivery.bulletin, "d": delivery})
    )


urlpatterns = [
    path("bulletins/", bulletin_list, name="bulletin_list"),
    path("bulletins/new/", bulletin_create, name="bulletin_create"),
    path("bulletins/preview/", bulletin_preview, name="bulletin_preview"),
    path("bulletins/<int:pk>/", bulletin_detail, name="bulletin_detail"),
    path("bulletins/<int:pk>/edit/", bulletin_edit, name="bulletin_edit"),
    path("bulletins/<int:pk>/publish/", bulletin_publish, name="bulletin_publish"),
    path("bulletins/<int:pk>/retry/", bulletin_retry, name="bulletin_retry"),
    path("bulletins/<int:pk>/deliveries.xlsx", bulletin_export, name="bulletin_export"),
    path("b/<str:token>/", bulletin_public, name="bulletin_public"),
]

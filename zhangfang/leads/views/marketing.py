"""Pages of channels and loss reasons (administrator), marketing activities and partners."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhangfang.clients.selectors import clients_visible_to
from zhangfang.core.errors import DomainError
from zhangfang.core.forms import save_edit
from zhangfang.core.listing import FilterBar, FilterField, ListState, wants_fragment
from zhangfang.core.permissions import role_required
from zhangfang.core.roles import Role
from zhangfang.leads.forms.marketing import (
    ActivityFilterForm,
    ActivityForm,
    ChannelForm,
    LossReasonForm,
    PartnerFilterForm,
    PartnerForm,
    PartnerReferralOutForm,
)
from zhangfang.leads.models import ActivityKind, Channel, LossReason, MarketingActivity, PartnerKind
from zhangfang.leads.selectors import marketing as selectors
from zhangfang.leads.services import marketing as services
from zhangfang.leads.services.public_form import prospect_url

PAGE_SIZE = 25

admin_only = role_required(Role.ADMIN)
marketing_roles = role_required(*selectors.MARKETING_ROLES)


# ---------------------------------------------------------------------------------------------
# Channels
# ---------------------------------------------------------------------------------------------


@admin_only
def channel_list(request):
    context = {
        "channels": selectors.channel_list(),
        "built_in": services.BUILT_IN_CHANNEL_CODES,
        "form": ChannelForm(),
    }
    return render(request, "leads/channel_list.html", context)


@admin_only
@require_POST
def channel_create(request):
    form = ChannelForm(request.POST)
    if form.is_valid():
        try:
            channel = services.channel_create(
                code=form.cleaned_data["code"], name=form.cleaned_data["name"], by=request.user
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("渠道“%(name)s”已添加。") % {"name": channel.name})
            return redirect("leads:channel_list")
    context = {
        "channels": selectors.channel_list(),
        "built_in": services.BUILT_IN_CHANNEL_CODES,
        "form": form,
    }
    return render(request, "leads/channel_list.html", context)


@admin_only
def channel_edit(request, pk: int):
    channel = get_object_or_404(Channel, pk=pk)
    built_in = services.is_built_in(channel)
    form = ChannelForm(
        request.POST or None,
        initial={"code": channel.code, "name": channel.name},
        built_in=built_in,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.channel_update(
                channel=channel,
                name=form.cleaned_data["name"],
                code=None if built_in else form.cleaned_data["code"],
                by=request.user,
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("渠道已保存。"))
            return redirect("leads:channel_list")
    return render(
        request,
        "leads/channel_form.html",
        {"form": form, "channel": channel, "built_in": built_in, "kind": "channel"},
    )


@admin_only
@require_POST
def channel_toggle(request, pk: int):
    channel = get_object_or_404(Channel, pk=pk)
    try:
        services.channel_set_active(channel=channel, active=not channel.is_active, by=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            (_("渠道“%(name)s”已停用。") if channel.is_active else _("渠道“%(name)s”已启用。"))
            % {"name": channel.name},
        )
    return redirect("leads:channel_list")


@admin_only
@require_POST
def channel_move(request, pk: int):
    channel = get_object_or_404(Channel, pk=pk)
    try:
        services.channel_move(
            channel=channel, direction=request.POST.get("direction", ""), by=request.user
        )
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("leads:channel_list")


# ---------------------------------------------------------------------------------------------
# Loss reasons
# ---------------------------------------------------------------------------------------------


def _loss_reason_page(request, form):
    return render(
        request,
        "leads/channel_loss_reasons.html",
        {"reasons": selectors.loss_reason_list(), "form": form},
    )


@admin_only
def loss_reason_list(request):
    return _loss_reason_page(request, LossReasonForm())


@admin_only
@require_POST
def loss_reason_create(request):
    form = LossReasonForm(request.POST)
    if form.is_valid():
        try:
            reason = services.loss_reason_create(name=form.cleaned_data["name"], by=request.user)
        except DomainError as error:
            form.add_error("name", error.message)
        else:
            messages.success(request, _("流失原因“%(name)s”已添加。") % {"name": reason.name})
            return redirect("leads:loss_reason_list")
    return _loss_reason_page(request, form)


@admin_only
def loss_reason_edit(request, pk: int):
    reason = get_object_or_404(LossReason, pk=pk)
    form = LossReasonForm(request.POST or None, initial={"name": reason.name})
    if request.method == "POST" and form.is_valid():
        try:
            services.loss_reason_update(
                reason=reason, name=form.cleaned_data["name"], by=request.user
            )
        except DomainError as error:
            form.add_error("name", error.message)
        else:
            messages.success(request, _("流失原因已保存。"))
            return redirect("leads:loss_reason_list")
    return render(
        request, "leads/channel_form.html", {"form": form, "reason": reason, "kind": "loss_reason"}
    )


@admin_only
@require_POST
def loss_reason_toggle(request, pk: int):
    reason = get_object_or_404(LossReason, pk=pk)
    services.loss_reason_set_active(reason=reason, active=not reason.is_active, by=request.user)
    messages.success(
        request,
        (_("流失原因“%(name)s”已停用。") if reason.is_active else _("流失原因“%(name)s”已启用。"))
        % {"name": reason.name},
    )
    return redirect("leads:loss_reason_list")


@admin_only
@require_POST
def loss_reason_move(request, pk: int):
    reason = get_object_or_404(LossReason, pk=pk)
    try:
        services.loss_reason_move(
            reason=reason, direction=request.POST.get("direction", ""), by=request.user
        )
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("leads:loss_reason_list")


# ---------------------------------------------------------------------------------------------
# Marketing activities
# ---------------------------------------------------------------------------------------------


@marketing_roles
def activity_list(request):
    state = ListState.from_request(
        request, sorts=selectors.ACTIVITY_SORTS, default_sort="-starts_on"
    )
    filters = ActivityFilterForm(request.GET).values()
    queryset = selectors.activity_list(
        kind=filters["kind"] or "",
        channel=filters["channel"],
        date_from=filters["date_from"],
        date_to=filters["date_to"],
        ordering=state.ordering(),
    )
    page = state.paginate(queryset, per_page=PAGE_SIZE)
    for activity in page.object_list:
        activity.cost_per_prospect = selectors.cost_per(activity.cost, activity.prospect_count)
        activity.cost_per_signed = selectors.cost_per(activity.cost, activity.signed_count)
    fragment = wants_fragment(request)
    context = {
        "state": state,
        "page": page,
        "page_links": state.page_links(page),
        "filters": filters,
        "filters_active": any(filters.values()),
        "filter_bar": None
        if fragment
        else FilterBar(
            action=reverse("leads:activity_list"),
            target="#activity-table",
            fields=[
                FilterField(
                    "kind", _("类型"), value=filters["kind"] or "", options=ActivityKind.choices
                ),
                FilterField(
                    "channel",
                    _("渠道"),
                    value=filters["channel"] or "",
                    options=list(selectors.active_channels().values_list("pk", "name")),
                ),
                FilterField("date_from", _("从"), "date", filters["date_from"]),
                FilterField("date_to", _("至"), "date", filters["date_to"]),
            ],
            hidden={"sort": state.sort},
        ),
        "columns": [
            state.column("name", _("活动名称")),
            state.column("", _("类型")),
            state.column("starts_on", _("日期")),
            state.column("cost", _("费用")),
            state.column("prospects", _("带来潜在客户")),
            state.column("signed", _("已签约")),
            state.column("", _("每签约客户成本")),
        ],
    }
    template = "leads/activity_list.html"
    return render(request, f"{template}#table" if fragment else template, context)


def _activity_or_404(pk: int) -> MarketingActivity:
    activity = MarketingActivity.objects.select_related("channel", "owner").filter(pk=pk).first()
    if activity is None:
        raise Http404
    return activity


@marketing_roles
def activity_detail(request, pk: int):
    activity = _activity_or_404(pk)
    state = ListState.from_request(
        request, sorts={"created": ("created_at", "id")}, default_sort="-created"
    )
    page = state.paginate(
        selectors.activity_prospects(activity=activity, user=request.user), per_page=PAGE_SIZE
    )
    for prospect in page.object_list:
        prospect.url = prospect_url(prospect)
    from zhangfang.core.selectors import audit_history_for

    context = {
        "activity": activity,
        "stats": selectors.activity_stats(activity),
        "page": page,
        "page_links": state.page_links(page),
        "events": audit_history_for(activity, limit=20),
    }
    return render(request, "leads/activity_detail.html", context)


@marketing_roles
def activity_create(request):
    form = ActivityForm(request.POST or None, initial={"owner": request.user.pk})
    if request.method == "POST" and form.is_valid():
        try:
            activity = services.activity_create(data=form.activity_data(), by=request.user)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("市场活动“%(name)s”已创建。") % {"name": activity.name})
            return redirect("leads:activity_detail", pk=activity.pk)
    return render(request, "leads/activity_form.html", {"form": form})


@marketing_roles
def activity_edit(request, pk: int):
    activity = _activity_or_404(pk)
    form = ActivityForm(request.POST or None, instance=activity)
    context = {"form": form, "activity": activity}
    if save_edit(
        request,
        form,
        context,
        save=lambda version: services.activity_update(
            activity=activity, data=form.activity_data(), expected_version=version, by=request.user
        ),
        reload=lambda: _activity_or_404(pk),
    ):
        messages.success(request, _("市场活动已保存。"))
        return redirect("leads:activity_detail", pk=activity.pk)
    return render(request, "leads/activity_form.html", context)


# ---------------------------------------------------------------------------------------------
# Partners
# ---------------------------------------------------------------------------------------------


@marketing_roles
def partner_list(request):
    state = ListState.from_request(request, sorts=selectors.PARTNER_SORTS, default_sort="name")
    filters = PartnerFilterForm(request.GET).values()
    queryset = selectors.partner_list(
        q=filters["q"], kind=filters["kind"], active=filters["active"], ordering=state.ordering()
    )
    page = state.paginate(queryset, per_page=PAGE_SIZE)
    context = {
        "state": state,
        "page": page,
        "page_links": state.page_links(page),
        "filters": filters,
        "filters_active": any(filters.values()),
        "columns": [
            state.column("name", _("合作机构")),
            state.column("kind", _("类型")),
            state.column("", _("联系人")),
            state.column("sent", _("推荐给我们的潜在客户")),
            state.column("received", _("我们推荐过去的客户")),
            state.column("", _("状态")),
        ],
    }
    fragment = wants_fragment(request)
    if not fragment:
        context["filter_bar"] = FilterBar(
            action=reverse("leads:partner_list"),
            target="#partner-table",
            fields=[
                FilterField.search(
                    _("搜索"), filters["q"], placeholder=_("机构名称、联系人、手机")
                ),
                FilterField("kind", _("类型"), value=filters["kind"], options=PartnerKind.choices),
                FilterField(
                    "active",
                    _("状态"),
                    value=filters["active"],
                    options=[("1", _("合作中")), ("0", _("已停止"))],
                ),
            ],
            hidden={"sort": state.sort},
        )
    template = "leads/partner_list.html"
    return render(request, f"{template}#table" if fragment else template, context)


def _partner_or_404(pk: int):
    partner = selectors.partner_get(pk)
    if partner is None:
        raise Http404
    return partner


def _partner_detail_context(request, partner, referral_form=None) -> dict:
    from zhangfang.core.selectors import audit_history_for

    prospects = list(selectors.partner_prospects(partner=partner, user=request.user)[:200])
    for prospect in prospects:
        prospect.url = prospect_url(prospect)
    return {
        "partner": partner,
        "prospects": prospects,
        "referrals_out": selectors.partner_referrals_out(partner=partner, user=request.user)[:200],
        "referral_form": referral_form
        or PartnerReferralOutForm(visible_clients=clients_visible_to(request.user)),
        "events": audit_history_for(partner, limit=20),
    }


@marketing_roles
def partner_detail(request, pk: int):
    partner = _partner_or_404(pk)
    return render(request, "leads/partner_detail.html", _partner_detail_context(request, partner))


@marketing_roles
def partner_create(request):
    form = PartnerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            partner = services.partner_create(data=form.partner_data(), by=request.user)
        except DomainError as error:
            form.add_error("name", error.message)
        else:
            messages.success(request, _("合作机构“%(name)s”已登记。") % {"name": partner.name})
            return redirect("leads:partner_detail", pk=partner.pk)
    return render(request, "leads/partner_form.html", {"form": form})


@marketing_roles
def partner_edit(request, pk: int):
    partner = _partner_or_404(pk)
    form = PartnerForm(request.POST or None, instance=partner)
    context = {"form": form, "partner": partner}
    if save_edit(
        request,
        form,
        context,
        save=lambda version: services.partner_update(
            partner=partner, data=form.partner_data(), expected_version=version, by=request.user
        ),
        reload=lambda: _partner_or_404(pk),
        error_field="name",
    ):
        messages.success(request, _("合作机构信息已保存。"))
        return redirect("leads:partner_detail", pk=partner.pk)
    return render(request, "leads/partner_form.html", context)


@marketing_roles
@require_POST
def partner_referral_out(request, pk: int):
    partner = _partner_or_404(pk)
    form = PartnerReferralOutForm(request.POST, visible_clients=clients_visible_to(request.user))
    if form.is_valid():
        services.partner_referral_out_create(
            partner=partner,
            client=form.cleaned_data["client"],
            referred_on=form.cleaned_data["referred_on"],
            notes=form.cleaned_data["notes"],
            by=request.user,
        )
        messages.success(
            request,
            _("已记录：推荐客户“%(client)s”给%(partner)s。")
            % {"client": form.cleaned_data["client"], "partner": partner.name},
        )
        return redirect("leads:partner_detail", pk=partner.pk)
    return render(
        request,
        "leads/partner_detail.html",
        _partner_detail_context(request, partner, referral_form=form),
        status=400,
    )


urlpatterns = [
    path("channels/", channel_list, name="channel_list"),
    path("channels/new/", channel_create, name="channel_create"),
    path("channels/<int:pk>/edit/", channel_edit, name="channel_edit"),
    path("channels/<int:pk>/active/", channel_toggle, name="channel_toggle"),
    path("channels/<int:pk>/move/", channel_move, name="channel_move"),
    path("loss-reasons/", loss_reason_list, name="loss_reason_list"),
    path("loss-reasons/new/", loss_reason_create, name="loss_reason_create"),
    path("loss-reasons/<int:pk>/edit/", loss_reason_edit, name="loss_reason_edit"),
    path("loss-reasons/<int:pk>/active/", loss_reason_toggle, name="loss_reason_toggle"),
    path("loss-reasons/<int:pk>/move/", loss_reason_move, name="loss_reason_move"),
    path("activities/", activity_list, name="activity_list"),
    path("activities/new/", activity_create, name="activity_create"),
    path("activities/<int:pk>/", activity_detail, name="activity_detail"),
    path("activities/<int:pk>/edit/", activity_edit, name="activity_edit"),
    path("partners/", partner_list, name="partner_list"),
    path("partners/new/", partner_create, name="partner_create"),
    path("partners/<int:pk>/", partner_detail, name="partner_detail"),
    path("partners/<int:pk>/edit/", partner_edit, name="partner_edit"),
    path("partners/<int:pk>/referrals-out/", partner_referral_out, name="partner_referral_out"),
]

"""The referral reward ledger (二(二)3): per referring client, what is pending, approved, paid."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhangfang.core.errors import DomainError
from zhangfang.core.listing import FilterBar, FilterField, ListState, wants_fragment
from zhangfang.core.permissions import role_required
from zhangfang.leads.forms.referrals import RewardDecisionForm, RewardFilterForm
from zhangfang.leads.models import RewardStatus
from zhangfang.leads.selectors import referrals as selectors
from zhangfang.leads.services import referrals as services

PAGE_SIZE = 20

REWARD_COLOURS = {
    RewardStatus.PROPOSED: "warning",
    RewardStatus.APPROVED: "info",
    RewardStatus.PAID: "success",
    RewardStatus.REJECTED: "secondary",
}

ledger_roles = role_required(*selectors.LEDGER_ROLES)


@ledger_roles
def reward_ledger(request):
    state = ListState.from_request(request, sorts=selectors.LEDGER_SORTS, default_sort="name")
    filters = RewardFilterForm(request.GET).filters()
    page = state.paginate(
        selectors.ledger_referrers(user=request.user, filters=filters, ordering=state.ordering()),
        per_page=PAGE_SIZE,
    )
    rewards = selectors.rewards_of_referrers(
        user=request.user, filters=filters, referrer_ids=[c.pk for c in page.object_list]
    )
    for referrer in page.object_list:
        referrer.rewards = rewards.get(referrer.pk, [])
        for reward in referrer.rewards:
            reward.description = services.reward_description(reward)
            reward.colour = REWARD_COLOURS.get(reward.status, "secondary")
            reward.can_decide = (
                reward.status == RewardStatus.PROPOSED
                and services.can_decide_reward(request.user, reward)
            )
            reward.can_pay = reward.status == RewardStatus.APPROVED and services.can_pay_reward(
                request.user
            )
    context = {
        "state": state,
        "page": page,
        "page_links": state.page_links(page),
        "filters": filters,
        "filters_active": bool(filters.q or filters.status or filters.date_from or filters.date_to),
        "totals": selectors.ledger_totals(user=request.user, filters=filters),
        "columns": [
            state.column("name", _("推荐客户")),
            state.column("count", _("奖励笔数")),
            state.column("pending", _("待审批")),
            state.column("approved", _("已批准")),
            state.column("paid", _("已发放")),
        ],
        "back": request.get_full_path(),
    }
    fragment = wants_fragment(request)
    if not fragment:
        context["filter_bar"] = FilterBar(
            action=reverse("leads:reward_ledger"),
            target="#reward-table",
            fields=[
                FilterField.search(_("推荐客户"), filters.q),
                FilterField(
                    "status", _("状态"), value=filters.status, options=RewardStatus.choices
                ),
                FilterField("date_from", _("提出日期从"), "date", filters.date_from),
                FilterField("date_to", _("至"), "date", filters.date_to),
            ],
            hidden={"sort": state.sort},
        )
    template = "leads/reward_ledger.html"
    return render(request, f"{template}#table" if fragment else template, context)


def _reward_or_404(request, pk: int):
    reward = selectors.reward_get(user=request.user, pk=pk)
    if reward is None:
        raise Http404
    return reward


def _back(request) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("leads:reward_ledger")


@ledger_roles
@require_POST
def reward_decide(request, pk: int):
    reward = _reward_or_404(request, pk)
    if not services.can_decide_reward(request.user, reward):
        raise PermissionDenied
    form = RewardDecisionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(_back(request))
    approve = form.cleaned_data["decision"] == "approve"
    try:
        services.referral_reward_decide(
            reward=reward, approve=approve, by=request.user, note=form.cleaned_data["note"]
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("推荐奖励已批准。") if approve else _("推荐奖励已驳回。"))
    return redirect(_back(request))


@ledger_roles
@require_POST
def reward_mark_paid(request, pk: int):
    reward = _reward_or_404(request, pk)
    if not services.can_pay_reward(request.user):
        raise PermissionDenied
    try:
        services.referral_reward_mark_paid(
            reward=reward, by=request.user, note=request.POST.get("note", "").strip()
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("推荐奖励已登记为已发放。"))
    return redirect(_back(request))


urlpatterns = [
    path("rewards/", reward_ledger, name="reward_ledger"),
    path("rewards/<int:pk>/decide/", reward_decide, name="reward_decide"),
    path("rewards/<int:pk>/paid/", reward_mark_paid, name="reward_mark_paid"),
]

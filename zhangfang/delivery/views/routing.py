"""Routing rules: administrators and department heads decide where new requests go."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from zhangfang.core.forms import save_edit, submit
from zhangfang.core.permissions import role_required
from zhangfang.core.roles import Role
from zhangfang.delivery.forms.routing import RoutingRuleForm
from zhangfang.delivery.selectors import routing as selectors
from zhangfang.delivery.services import routing as services

rule_keepers = role_required(Role.ADMIN, Role.DEPARTMENT_HEAD)


def _rule_or_404(pk: int):
    rule = selectors.routing_rule_get(pk=pk)
    if rule is None:
        raise Http404
    return rule


@rule_keepers
def routing_rule_list(request):
    return render(
        request, "delivery/routing_rule_list.html", {"rules": selectors.routing_rule_list()}
    )


@rule_keepers
def routing_rule_create(request):
    form = RoutingRuleForm(request.POST or None)
    if submit(
        request,
        form,
        lambda: services.routing_rule_create(data=form.rule_data(), by=request.user),
    ):
        messages.success(request, _("分派规则已添加。"))
        return redirect("delivery:routing_rule_list")
    return render(request, "delivery/routing_rule_form.html", {"form": form})


@rule_keepers
def routing_rule_edit(request, pk: int):
    rule = _rule_or_404(pk)
    form = RoutingRuleForm(request.POST or None, instance=rule)
    context = {"form": form, "rule": rule}
    if save_edit(
        request,
        form,
        context,
        save=lambda version: services.routing_rule_update(
            rule=rule, data=form.rule_data(), expected_version=version, by=request.user
        ),
        reload=lambda: _rule_or_404(pk),
    ):
        messages.success(request, _("分派规则已保存。"))
        return redirect("delivery:routing_rule_list")
    return render(request, "delivery/routing_rule_form.html", context)


urlpatterns = [
    path("routing/", routing_rule_list, name="routing_rule_list"),
    path("routing/new/", routing_rule_create, name="routing_rule_create"),
    path("routing/<int:pk>/edit/", routing_rule_edit, name="routing_rule_edit"),
]

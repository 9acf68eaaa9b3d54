"""The service team's pages (policy 三（一）): each member's load, and handing over what a member
holds when they leave. Department heads see their department, administrators every department."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhangfang.core.forms import submit
from zhangfang.core.listing import FilterBar, FilterField, wants_fragment
from zhangfang.core.permissions import role_required
from zhangfang.core.roles import Role, has_role
from zhangfang.delivery.forms.workload import HandoverForm, WorkloadFilterForm
from zhangfang.delivery.selectors import workload as selectors
from zhangfang.delivery.services.staff_handover import staff_handover

heads = role_required(Role.DEPARTMENT_HEAD, Role.ADMIN)


@heads
def workload(request):
    all_departments = selectors.sees_all_departments(request.user)
    department = WorkloadFilterForm(request.GET).department_id() if all_departments else None
    table = selectors.workload(user=request.user, department=department, today=timezone.localdate())
    bar = None
    if all_departments:
        options = [(d.pk, d.name) for d in selectors.department_choices(user=request.user)]
        bar = FilterBar(
            action=reverse("delivery:workload"),
            target="#workload",
            fields=[FilterField("department", _("部门"), value=department or "", options=options)],
        )
    context = {
        "table": table,
        "filter_bar": bar,
        "client_list_url": reverse("clients:list"),
    }
    template = "delivery/workload.html"
    if wants_fragment(request):
        return render(request, f"{template}#table", context)
    return render(request, template, context)


@heads
def staff_handover_page(request, user_id: int):
    person = selectors.handover_person(user=request.user, pk=user_id)
    if person is None:
        raise Http404
    holdings = selectors.holdings(person)
    form = HandoverForm(
        request.POST or None,
        user=request.user,
        person=person,
        holdings=holdings,
        can_deactivate=has_role(request.user, Role.ADMIN) and person.is_active,
    )
    if submit(
        request,
        form,
        lambda: staff_handover(
            user=person, to=form.colleagues(), deactivate=form.deactivate(), by=request.user
        ),
    ):
        messages.success(request, _("%(name)s 的工作已全部交接。") % {"name": person})
        return redirect("delivery:staff_handover", user_id=person.pk)
    context = {
        "person": person,
        "holdings": [holdings[kind] for kind in selectors.KINDS],
        "held": sum(h.count for h in holdings.values()),
        "form": form,
        "client_list_url": reverse("clients:list"),
    }
    return render(request, "delivery/staff_handover.html", context)


urlpatterns = [
    path("workload/", workload, name="workload"),
    path("workload/handover/<int:user_id>/", staff_handover_page, name="staff_handover"),
]

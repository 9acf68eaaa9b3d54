"""Quality spot check pages (policy 三（二）4): the checklist, drawing a sample, the samples and
their checks, scoring a check, the rectification tasks and the quality score table."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from zhangfang.core.errors import DomainError
from zhangfang.core.forms import add_service_error, save_edit, submit
from zhangfang.core.listing import FilterBar, FilterField, ListState, wants_fragment
from zhangfang.core.permissions import role_required
from zhangfang.core.roles import Role, has_role
from zhangfang.delivery.forms.quality import (
    CheckForm,
    ChecklistItemForm,
    DoneForm,
    PeriodForm,
    RectificationFilterForm,
    SampleForm,
    VerifyForm,
)
from zhangfang.delivery.models import CheckStatus, RectificationStatus
from zhangfang.delivery.selectors import quality as selectors
from zhangfang.delivery.services import quality as services
from zhangfang.delivery.services.generation import previous_month

PAGE_SIZE = 25

CHECK_COLOURS = {
    CheckStatus.PENDING: "secondary",
    CheckStatus.PASSED: "success",
    CheckStatus.RECTIFY: "warning",
    CheckStatus.CLOSED: "info",
}
RECTIFICATION_COLOURS = {
    RectificationStatus.OPEN: "warning",
    RectificationStatus.DONE: "primary",
    RectificationStatus.VERIFIED: "success",
}

staff_roles = role_required(*Role.values)
head_roles = role_required(Role.DEPARTMENT_HEAD, Role.ADMIN)
admin_only = role_required(Role.ADMIN)


def _checklist_item_or_404(pk: int):
    item = selectors.checklist_item_get(pk=pk)
    if item is None:
        raise Http404
    return item


def access_sample(user, pk: int):
    sample = selectors.sample_get(user=user, pk=pk)
    if sample is None:
        raise Http404
    return sample


def access_check(user, pk: int):
    check = selectors.check_get(user=user, pk=pk)
    if check is None:
        raise Http404
    return check


def access_rectification(user, pk: int):
    rectification = selectors.rectification_get(user=user, pk=pk)
    if rectification is None:
        raise Http404
    return rectification


# ---------------------------------------------------------------------------------------------
# Checklist
# ---------------------------------------------------------------------------------------------


@head_roles
def checklist(request):
    context = {
        "items": selectors.checklist_items(),
        "can_edit": services.can_keep_checklist(request.user),
    }
    return render(request, "delivery/quality_checklist.html", context)


@admin_only
def checklist_item_create(request):
    form = ChecklistItemForm(request.POST or None)
    if submit(
        request,
        form,
        lambda: services.checklist_item_create(data=form.item_data(), by=request.user),
    ):
        messages.success(request, _("质检项目已添加。"))
        return redirect("delivery:quality_checklist")
    return render(request, "delivery/quality_checklist_form.html", {"form": form})


@admin_only
def checklist_item_edit(request, pk: int):
    item = _checklist_item_or_404(pk)
    form = ChecklistItemForm(request.POST or None, instance=item)
    context = {"form": form, "item": item}
    if save_edit(
        request,
        form,
        context,
        save=lambda version: services.checklist_item_update(
            item=item, data=form.item_data(), expected_version=version, by=request.user
        ),
        reload=lambda: _checklist_item_or_404(pk),
    ):
        messages.success(request, _("质检项目已保存。"))
        return redirect("delivery:quality_checklist")
    return render(request, "delivery/quality_checklist_form.html", context)


# ---------------------------------------------------------------------------------------------
# Samples
# ---------------------------------------------------------------------------------------------

SAMPLE_SORTS = {"drawn": ("drawn_at", "id"), "period": ("period", "drawn_at", "id")}


@head_roles
def sample_list(request):
    fragment = wants_fragment(request)
    state = ListState.from_request(request, sorts=SAMPLE_SORTS, default_sort="-drawn")
    period_form = PeriodForm(request.GET)
    period = period_form.cleaned_data.get("period") if period_form.is_valid() else None
    queryset = selectors.sample_list(user=request.user)
    if period is not None:
        queryset = queryset.filter(period=period.replace(day=1))
    page = state.paginate(queryset.order_by(*state.ordering()), per_page=PAGE_SIZE)
    context = {
        "page": page,
        "page_links": state.page_links(page),
        "state": state,
        "columns": [
            state.column("period", _("所属期")),
            state.column("", _("部门")),
            state.column("", _("抽样方式")),
            state.column("", _("随机种子")),
            state.column("", _("抽样人")),
            state.column("drawn", _("抽样时间")),
            state.column("", _("进度")),
        ],
        "filter_bar": None
        if fragment
        else FilterBar(
            action=reverse("delivery:quality_sample_list"),
            target="#sample-table",
            fields=[
                FilterField(
                    "period", _("所属期"), "month", period.strftime("%Y-%m") if period else ""
                )
            ],
            hidden={"sort": state.sort},
        ),
    }
    template = "delivery/quality_sample_list.html"
    return render(request, f"{template}#table" if fragment else template, context)


@head_roles
def sample_create(request):
    departments = selectors.draw_departments(user=request.user)
    if not departments.exists():
        raise PermissionDenied
    today = timezone.localdate()
    form = SampleForm(
        request.POST or None, departments=departments, initial={"period": previous_month(today)}
    )
    created = {}

    def draw():
        data = form.cleaned_data
        created["sample"] = services.quality_sample_draw(
            period=data["period"],
            department=data["department"],
            method=data["method"],
            amount=data["amount"],
            seed=data.get("seed"),
            by=request.user,
        )

    if submit(request, form, draw):
        sample = created["sample"]
        messages.success(
            request,
            _("已抽取 %(count)s 项工作，随机种子 %(seed)s。")
            % {"count": sample.checks.count(), "seed": sample.seed},
        )
        return redirect("delivery:quality_sample_detail", pk=sample.pk)
    return render(request, "delivery/quality_sample_form.html", {"form": form})


@head_roles
def sample_detail(request, pk: int):
    sample = access_sample(request.user, pk)
    context = {
        "sample": sample,
        "checks": selectors.sample_checks(sample=sample),
        "check_colours": CHECK_COLOURS,
    }
    return render(request, "delivery/quality_sample_detail.html", context)


# ---------------------------------------------------------------------------------------------
# A check
# ---------------------------------------------------------------------------------------------


@head_roles
def check_detail(request, pk: int):
    check = access_check(request.user, pk)
    can_record = services.can_record(request.user, check)
    form = None
    if can_record:
        form = CheckForm(request.POST or None, items=selectors.checklist_items(active_only=True))
        if submit(
            request,
            form,
            lambda: services.quality_check_record(
                check=check,
                scores=form.scores(),
                findings=form.cleaned_data["findings"],
                by=request.user,
            ),
        ):
            messages.success(request, _("检查结果已保存。"))
            return redirect("delivery:quality_check", pk=pk)
    elif request.method == "POST":
        if check.status != CheckStatus.PENDING:
            messages.error(request, _("此项工作已检查过，不能重复录入。"))
        else:
            messages.error(request, _("不能检查自己完成的工作，请由其他负责人检查。"))
        return redirect("delivery:quality_check", pk=pk)
    context = {
        "check": check,
        "form": form,
        "self_check": check.status == CheckStatus.PENDING and check.reviewee_id == request.user.pk,
        "scores": selectors.check_scores(check=check),
        "rectifications": selectors.check_rectifications(check=check),
        "check_colours": CHECK_COLOURS,
        "rectification_colours": RECTIFICATION_COLOURS,
        "today": timezone.localdate(),
    }
    status = 422 if request.method == "POST" else 200
    return render(request, "delivery/quality_check.html", context, status=status)


# ---------------------------------------------------------------------------------------------
# Rectifications
# ---------------------------------------------------------------------------------------------

RECTIFICATION_COLUMNS = [
    ("", gettext_lazy("整改事项")),
    ("", gettext_lazy("客户")),
    ("", gettext_lazy("所属期")),
    ("", gettext_lazy("整改人")),
    ("due", gettext_lazy("整改期限")),
    ("status", gettext_lazy("状态")),
]


@staff_roles
def rectification_list(request):
    fragment = wants_fragment(request)
    today = timezone.localdate()
    state = ListState.from_request(request, sorts=selectors.RECTIFICATION_SORTS, default_sort="due")
    filters = RectificationFilterForm(request.GET).filters()
    queryset = selectors.rectification_list(
        user=request.user, filters=filters, today=today, ordering=state.ordering()
    )
    page = state.paginate(queryset, per_page=PAGE_SIZE)
    context = {
        "page": page,
        "page_links": state.page_links(page),
        "state": state,
        "today": today,
        "columns": [state.column(key, label) for key, label in RECTIFICATION_COLUMNS],
        "colours": RECTIFICATION_COLOURS,
        "filter_bar": None
        if fragment
        else FilterBar(
            action=reverse("delivery:rectification_list"),
            target="#rectification-table",
            fields=[
                FilterField(
                    "status",
                    _("状态"),
                    value=filters.status,
                    options=RectificationStatus.choices,
                ),
                FilterField("mine", _("只看我的整改"), "check", filters.mine),
                FilterField("overdue", _("只看已逾期"), "check", filters.overdue),
            ],
            hidden={"sort": state.sort},
        ),
    }
    template = "delivery/quality_rectification_list.html"
    return render(request, f"{template}#table" if fragment else template, context)


def _rectification_page(request, rectification, *, bound=None, status: int = 200):
    forms = {}
    if services.can_mark_done(request.user, rectification):
        forms["done"] = bound[1] if bound and bound[0] == "done" else DoneForm(prefix="done")
    if services.can_verify(request.user, rectification):
        forms["verify"] = (
            bound[1] if bound and bound[0] == "verify" else VerifyForm(prefix="verify")
        )
    context = {
        "r": rectification,
        "check": rectification.quality_check,
        "can_open_check": services.heads_check(request.user, rectification.quality_check),
        "forms": forms,
        "colours": RECTIFICATION_COLOURS,
        "today": timezone.localdate(),
    }
    return render(request, "delivery/quality_rectification_detail.html", context, status=status)


@staff_roles
def rectification_detail(request, pk: int):
    return _rectification_page(request, access_rectification(request.user, pk))


@require_POST
@staff_roles
def rectification_action(request, pk: int, action: str):
    rectification = access_rectification(request.user, pk)
    if action == "done":
        allowed = services.can_mark_done(request.user, rectification)
        form = DoneForm(request.POST, prefix="done")

        def call():
            services.rectification_done(
                rectification=rectification, note=form.cleaned_data["note"], by=request.user
            )

        success = _("已提交整改结果，等待复查。")
    elif action == "verify":
        allowed = services.can_verify(request.user, rectification)
        form = VerifyForm(request.POST, prefix="verify")

        def call():
            services.rectification_verify(
                rectification=rectification,
                passed=form.cleaned_data["passed"],
                comment=form.cleaned_data["comment"],
                by=request.user,
            )

        success = _("复查结果已保存。")
    else:
        raise Http404
    if not allowed:
        messages.error(request, _("此整改任务当前不能进行该操作。"))
        return redirect("delivery:rectification_detail", pk=pk)
    if form.is_valid():
        try:
            call()
        except DomainError as error:
            add_service_error(form, error)
        else:
            messages.success(request, success)
            return redirect("delivery:rectification_detail", pk=pk)
    return _rectification_page(request, rectification, bound=(action, form), status=422)


# ---------------------------------------------------------------------------------------------
# Quality scores
# ---------------------------------------------------------------------------------------------


@head_roles
def quality_scores(request):
    today = timezone.localdate()
    period = PeriodForm(request.GET).period_or(previous_month(today))
    context = {
        "period": period,
        "filter_bar": FilterBar(
            action=reverse("delivery:quality_scores"),
            target="#quality-scores",
            fields=[FilterField("period", _("所属期"), "month", period.strftime("%Y-%m"))],
        ),
        **selectors.quality_table(user=request.user, period=period),
        "is_admin": has_role(request.user, Role.ADMIN),
    }
    template = "delivery/quality_scores.html"
    if wants_fragment(request):
        return render(request, f"{template}#tables", context)
    return render(request, template, context)


urlpatterns = [
    path("quality/", sample_list, name="quality_sample_list"),
    path("quality/draw/", sample_create, name="quality_sample_create"),
    path("quality/samples/<int:pk>/", sample_detail, name="quality_sample_detail"),
    path("quality/checks/<int:pk>/", check_detail, name="quality_check"),
    path("quality/checklist/", checklist, name="quality_checklist"),
    path("quality/checklist/new/", checklist_item_create, name="quality_checklist_create"),
    path("quality/checklist/<int:pk>/edit/", checklist_item_edit, name="quality_checklist_edit"),
    path("quality/rectifications/", rectification_list, name="rectification_list"),
    path("quality/rectifications/<int:pk>/", rectification_detail, name="rectification_detail"),
    path(
        "quality/rectifications/<int:pk>/<slug:action>/",
        rectification_action,
        name="rectification_action",
    ),
    path("quality/scores/", quality_scores, name="quality_scores"),
]

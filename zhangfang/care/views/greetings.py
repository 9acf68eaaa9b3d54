"""Greeting pages (policy 四（二）2): the plan of the next 30 days (who is greeted, when, on which
channel and what will happen), the log of what was sent, the templates and the days; and the
contact's opt-out page (no login)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from zhangfang.care.forms.greetings import (
    KIND_CHOICES,
    GreetingDayForm,
    GreetingTemplateForm,
    LogFilterForm,
    OptOutForm,
    PreviewFilterForm,
)
from zhangfang.care.models import GreetingDay, GreetingStatus, GreetingTemplate
from zhangfang.care.selectors import greetings as selectors
from zhangfang.care.services import greetings as services
from zhangfang.core import links
from zhangfang.core.forms import save_edit, submit
from zhangfang.core.listing import FilterBar, FilterField, ListState, wants_fragment
from zhangfang.core.permissions import role_required
from zhangfang.notifications.channels import CHANNELS

PAGE_SIZE = 25

#: The plan looks this many days ahead, today included.
PREVIEW_DAYS = 30

CHANNEL_CHOICES = list(CHANNELS.items())

view_roles = role_required(*services.VIEW_ROLES)
edit_roles = role_required(*services.EDIT_ROLES)

OUTCOME_LABELS = {
    selectors.WILL_SEND: gettext_lazy("将发送"),
    selectors.OPTED_OUT: gettext_lazy("已退订，不发送"),
    selectors.NO_ADDRESS: gettext_lazy("无联系地址，不发送"),
    selectors.NOT_CONFIGURED: gettext_lazy("通道未配置，不发送"),
    selectors.ALREADY_SENT: gettext_lazy("已发送过"),
    selectors.NO_TEMPLATE: gettext_lazy("未启用模板，不发送"),
}
STATUS_COLOURS = {
    GreetingStatus.SENT: "success",
    GreetingStatus.FAILED: "danger",
    GreetingStatus.SKIPPED: "secondary",
}


# ---------------------------------------------------------------------------------------------
# The plan of the next 30 days
# ---------------------------------------------------------------------------------------------


@view_roles
def greeting_preview(request):
    kind, q = PreviewFilterForm(request.GET).values()
    today = timezone.localdate()
    end = today + dt.timedelta(days=PREVIEW_DAYS - 1)
    occasions = selectors.occasions_between(today, end, user=request.user, kind=kind)
    rows = selectors.preview_rows(
        selectors.search_occasions(occasions, q), selectors.active_templates()
    )
    state = ListState.from_request(request, sorts={"date": ()}, default_sort="date")
    page = state.paginate(rows, per_page=PAGE_SIZE)
    # Only the rows shown are checked against the log: one query for 25 rows, not 20,000.
    page.object_list = selectors.with_outcomes(page.object_list)
    bar = FilterBar(
        action=reverse("care:greeting_preview"),
        target="#greeting-table",
        fields=[
            FilterField.search(_("搜索"), q, placeholder=_("联系人、客户名称或拼音")),
            FilterField("kind", _("类型"), value=kind, options=KIND_CHOICES),
        ],
    )
    context = {
        "page": page,
        "page_links": state.page_links(page),
        "filter_bar": bar,
        "start": today,
        "end": end,
        "days": PREVIEW_DAYS,
        "filtered": bool(kind or q),
        "outcome_labels": OUTCOME_LABELS,
        "outcome_colours": selectors.OUTCOME_COLOURS,
        "channel_labels": CHANNELS,
        "can_edit": services.can_edit(request.user),
    }
    template = "care/greeting_preview.html"
    return render(request, f"{template}#table" if wants_fragment(request) else template, context)


# ---------------------------------------------------------------------------------------------
# The log
# ---------------------------------------------------------------------------------------------

LOG_COLUMNS = [
    ("date", gettext_lazy("日期")),
    ("", gettext_lazy("场合")),
    ("", gettext_lazy("联系人")),
    ("client", gettext_lazy("客户")),
    ("", gettext_lazy("渠道")),
    ("status", gettext_lazy("状态")),
    ("", gettext_lazy("说明")),
]


@view_roles
def greeting_log(request):
    state = ListState.from_request(request, sorts=selectors.LOG_SORTS, default_sort="-date")
    filters = LogFilterForm(request.GET).filters()
    page = state.paginate(
        selectors.greeting_log(user=request.user, filters=filters, ordering=state.ordering()),
        per_page=PAGE_SIZE,
    )
    if page.object_list:
        names = selectors.day_names()
        for send in page.object_list:
            send.occasion_label = selectors.occasion_label(send.occasion_key, names)
    bar = FilterBar(
        action=reverse("care:greeting_log"),
        target="#greeting-log-table",
        fields=[
            FilterField.search(_("搜索"), filters.q, placeholder=_("联系人、客户名称或拼音")),
            FilterField("start", _("从"), "date", filters.start),
            FilterField("end", _("到"), "date", filters.end),
            FilterField("status", _("状态"), value=filters.status, options=GreetingStatus.choices),
            FilterField("kind", _("类型"), value=filters.kind, options=KIND_CHOICES),
            FilterField(
                "channel", _("渠道"), value=filters.channel, options=list(CHANNELS.items())
            ),
        ],
        hidden={"sort": state.sort},
    )
    context = {
        "page": page,
        "page_links": state.page_links(page),
        "state": state,
        "columns": [state.column(key, label) for key, label in LOG_COLUMNS],
        "filter_bar": bar,
        "filtered": filters != selectors.LogFilters(),
        "status_colours": STATUS_COLOURS,
        "channel_labels": CHANNELS,
        "can_edit": services.can_edit(request.user),
    }
    template = "care/greeting_log.html"
    return render(request, f"{template}#table" if wants_fragment(request) else template, context)


# ---------------------------------------------------------------------------------------------
# Templates
# ---------------------------------------------------------------------------------------------


def _template_or_404(pk: int) -> GreetingTemplate:
    template = selectors.greeting_template_get(pk=pk)
    if template is None:
        raise Http404
    return template


@edit_roles
def greeting_template_list(request):
    return render(
        request,
        "care/greeting_template_list.html",
        {
            "templates": selectors.greeting_template_list(),
            "channel_labels": CHANNELS,
            "can_edit": True,
        },
    )


def _rendered(template: GreetingTemplate, saved: tuple[str, str], form) -> dict[str, str]:
    """The template as a contact reads it: what was typed when it is valid, else the saved
    text (``saved``: read before the form touched the instance)."""
    subject, body = saved
    if form.is_bound and form.is_valid():
        subject, body = form.cleaned_data["subject"], form.cleaned_data["body"]
    values = services.sample_values(template)
    return {
        "subject": selectors.render_text(subject, values),
        "body": selectors.render_text(body, values),
    }


@edit_roles
def greeting_template_edit(request, pk: int):
    template = _template_or_404(pk)
    saved = (template.subject, template.body)
    form = GreetingTemplateForm(request.POST or None, instance=template)
    context = {"form": form, "template": template}
    if request.method == "POST" and "preview" in request.POST:
        # 预览: show the text as it will be sent, without saving it.
        context["rendered"] = _rendered(template, saved, form)
        return render(request, "care/greeting_template_form.html", context)
    if save_edit(
        request,
        form,
        context,
        save=lambda version: services.greeting_template_update(
            template=template, data=form.template_data(), expected_version=version, by=request.user
        ),
        reload=lambda: _template_or_404(pk),
    ):
        messages.success(request, _("祝福模板已保存。"))
        return redirect("care:greeting_template_list")
    context["rendered"] = _rendered(template, saved, context["form"])
    return render(request, "care/greeting_template_form.html", context)


# ---------------------------------------------------------------------------------------------
# Days
# ---------------------------------------------------------------------------------------------


def _day_or_404(pk: int) -> GreetingDay:
    day = selectors.greeting_day_get(pk=pk)
    if day is None:
        raise Http404
    return day


@edit_roles
def greeting_day_list(request):
    return render(
        request,
        "care/greeting_day_list.html",
        {"days": selectors.greeting_day_list(), "can_edit": True},
    )


@edit_roles
def greeting_day_create(request):
    form = GreetingDayForm(request.POST or None)
    if submit(
        request, form, lambda: services.greeting_day_create(data=form.day_data(), by=request.user)
    ):
        messages.success(request, _("节日已添加，已为它生成一份祝福模板，可在“祝福模板”中修改。"))
        return redirect("care:greeting_day_list")
    return render(request, "care/greeting_day_form.html", {"form": form})


@edit_roles
def greeting_day_edit(request, pk: int):
    day = _day_or_404(pk)
    if day.builtin:
        # A built-in day's date is fixed; it is only switched on or off from the list.
        raise Http404
    form = GreetingDayForm(request.POST or None, instance=day)
    context = {"form": form, "day": day}
    if save_edit(
        request,
        form,
        context,
        save=lambda version: services.greeting_day_update(
            day=day, data=form.day_data(), expected_version=version, by=request.user
        ),
        reload=lambda: _day_or_404(pk),
    ):
        messages.success(request, _("节日已保存。"))
        return redirect("care:greeting_day_list")
    return render(request, "care/greeting_day_form.html", context)


@edit_roles
@require_POST
def greeting_day_toggle(request, pk: int):
    day = _day_or_404(pk)
    active = request.POST.get("active") == "1"
    services.greeting_day_set_active(day=day, active=active, by=request.user)
    if active:
        messages.success(request, _("已启用“%(name)s”的祝福。") % {"name": day.name})
    else:
        messages.success(request, _("已停用“%(name)s”的祝福。") % {"name": day.name})
    return redirect("care:greeting_day_list")


# ---------------------------------------------------------------------------------------------
# The contact's opt-out page (no login)
# ---------------------------------------------------------------------------------------------


def _optout_message(request, kind: str, *, status: int, contact=None):
    return links.no_index(
        render(
            request,
            "care/greeting_optout_message.html",
            {"kind": kind, "contact": contact},
            status=status,
        )
    )


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def greeting_optout(request, token: str):
    """The contact confirms, then greetings stop. A GET changes nothing (mail scanners open
    links); a link that was altered answers 404; a second visit says it is done already."""
    try:
        contact = services.contact_from_token(token)
    except services.OptOutLinkInvalid:
        return _optout_message(request, "invalid", status=404)
    if contact.greetings_opt_out:
        return _optout_message(request, "already", status=410, contact=contact)
    form = OptOutForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        if services.greetings_opt_out(contact=contact):
            return _optout_message(request, "done", status=200, contact=contact)
        return _optout_message(request, "already", status=410, contact=contact)
    return links.no_index(
        render(request, "care/greeting_optout.html", {"contact": contact, "form": form})
    )


urlpatterns = [
    path("greetings/", greeting_preview, name="greeting_preview"),
    path("greetings/log/", greeting_log, name="greeting_log"),
    path("greetings/templates/", greeting_template_list, name="greeting_template_list"),
    path(
        "greetings/templates/<int:pk>/edit/",
        greeting_template_edit,
        name="greeting_template_edit",
    ),
    path("greetings/days/", greeting_day_list, name="greeting_day_list"),
    path("greetings/days/new/", greeting_day_create, name="greeting_day_create"),
    path("greetings/days/<int:pk>/edit/", greeting_day_edit, name="greeting_day_edit"),
    path("greetings/days/<int:pk>/toggle/", greeting_day_toggle, name="greeting_day_toggle"),
    path("optout/<str:token>/", greeting_optout, name="greeting_optout"),
]

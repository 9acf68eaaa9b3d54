"""Satisfaction survey pages (policy 三（二）4, 三（三）4): the list of a month's surveys with the
satisfaction rate against the target, sending to one client or to every client in service, a
survey's answers and link, the follow-ups of low scores, and the client's answer page (no login).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from zhangfang.clients.picker import client_picker
from zhangfang.core import links, policy
from zhangfang.core.errors import DomainError
from zhangfang.core.forms import add_service_error
from zhangfang.core.listing import FilterBar, FilterField, ListState, wants_fragment
from zhangfang.core.permissions import role_required
from zhangfang.core.roles import Role
from zhangfang.delivery.forms.surveys import (
    FOLLOW_UP_VIEWS,
    RATING_CHOICES,
    STATE_CHOICES,
    AnswerForm,
    BatchSendForm,
    CloseForm,
    FollowUpFilterForm,
    SendForm,
    SurveyFilterForm,
    this_month,
)
from zhangfang.delivery.models import FollowUp, FollowUpStatus, Survey
from zhangfang.delivery.selectors import requests as request_selectors
from zhangfang.delivery.selectors import surveys as selectors
from zhangfang.delivery.services import surveys as services
from zhangfang.delivery.wiring.surveys import SATISFACTION_TARGET

PAGE_SIZE = 25

send_roles = role_required(*services.SEND_ROLES)
staff_roles = role_required(*Role.values)

RATING_LABELS = dict(RATING_CHOICES)
FOLLOW_UP_COLOURS = {FollowUpStatus.OPEN: "warning", FollowUpStatus.CLOSED: "success"}


def survey_link(request, survey: Survey) -> str:
    return request.build_absolute_uri(services.survey_path(survey))


def _participant(user, follow_up: FollowUp | None) -> bool:
    return follow_up is not None and user.pk in (follow_up.assignee_id, follow_up.head_id)


def access_survey(user, pk: int) -> Survey:
    """The survey if ``user`` may see it (404 otherwise); 403 for a role that reads no surveys
    unless the survey's follow-up was given to them."""
    survey = selectors.survey_get(user=user, pk=pk)
    if survey is None:
        raise Http404
    if not services.can_send(user) and not _participant(user, selectors.follow_up_of(survey)):
        raise PermissionDenied
    return survey


# ---------------------------------------------------------------------------------------------
# List
# ---------------------------------------------------------------------------------------------

COLUMNS = [
    ("client", gettext_lazy("客户")),
    ("", gettext_lazy("联系人")),
    ("sent", gettext_lazy("发送时间")),
    ("answered", gettext_lazy("答复时间")),
    ("overall", gettext_lazy("总体满意度")),
    ("", gettext_lazy("跟进")),
    ("", gettext_lazy("链接")),
]


def _filter_bar(filters: selectors.SurveyFilters, state: ListState) -> FilterBar:
    return FilterBar(
        action=reverse("delivery:survey_list"),
        target="#survey-table",
        fields=[
            FilterField("period", _("调查月份"), "month", filters.period.strftime("%Y-%m")),
            FilterField("state", _("答复情况"), value=filters.state, options=STATE_CHOICES),
        ],
        hidden={"sort": state.sort},
    )


@send_roles
def survey_list(request):
    fragment = wants_fragment(request)
    state = ListState.from_request(request, sorts=selectors.SURVEY_SORTS, default_sort="-sent")
    filters = SurveyFilterForm(request.GET).filters()
    now = timezone.now()
    queryset = selectors.survey_list(
        user=request.user,
        filters=filters,
        low_score=services.low_score(),
        ordering=state.ordering(),
    )
    page = state.paginate(queryset, per_page=PAGE_SIZE)
    for row in page.object_list:
        row.link_state = services.link_state(row, now=now)
        row.link = survey_link(request, row) if row.link_state == services.LINK_OPEN else ""
        row.follow = selectors.follow_up_of(row)
    target = policy.get(SATISFACTION_TARGET)
    rate = selectors.period_satisfaction(user=request.user, period=filters.period)
    context = {
        "page": page,
        "page_links": state.page_links(page),
        "state": state,
        "filters": filters,
        "filter_bar": None if fragment else _filter_bar(filters, state),
        "columns": [state.column(key, label) for key, label in COLUMNS],
        "rate": rate,
        "target": target,
        "met": selectors.meets_target(rate.rate, target),
        "follow_up_colours": FOLLOW_UP_COLOURS,
        "batch_form": BatchSendForm(initial={"period": filters.period}),
        "today": timezone.localdate(),
    }
    template = "delivery/survey_list.html"
    return render(request, f"{template}#table" if fragment else template, context)


# ---------------------------------------------------------------------------------------------
# Sending
# ---------------------------------------------------------------------------------------------


@send_roles
def survey_send(request):
    client_pk = request.GET.get("client", "")
    client = (
        request_selectors.intake_client(user=request.user, pk=int(client_pk))
        if client_pk.isdigit()
        else None
    )
    if client is None:
        if client_pk:
            raise Http404
        return _client_picker(request)
    form = SendForm(request.POST or None, contacts=request_selectors.client_contacts(client))
    if request.method == "POST" and form.is_valid():
        try:
            survey = services.survey_send(
                client=client,
                contact=form.cleaned_data["contact"],
                period=form.cleaned_data["period"],
                by=request.user,
                base_url=links.request_base_url(request),
            )
        except DomainError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("满意度调查已发送，可复制链接通过微信发给客户。"))
            return redirect("delivery:survey_detail", pk=survey.pk)
    return render(request, "delivery/survey_send.html", {"form": form, "c": client})


def _client_picker(request):
    """The send page without a client: search for one (htmx updates the results)."""
    return client_picker(
        request,
        template="delivery/survey_client_picker.html",
        url=reverse("delivery:survey_send"),
        search=lambda q: request_selectors.intake_client_search(user=request.user, q=q),
    )


@send_roles
@require_POST
def survey_send_batch(request):
    form = BatchSendForm(request.POST)
    period = form.cleaned_data["period"] if form.is_valid() else this_month()
    if form.is_valid():
        try:
            sent = services.surveys_send_batch(
                user=request.user,
                period=period,
                by=request.user,
                base_url=links.request_base_url(request),
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            if sent:
                messages.success(
                    request,
                    _("已向 %(count)s 位服务中的客户发送 %(month)s 的满意度调查。")
                    % {"count": len(sent), "month": period.strftime("%Y-%m")},
                )
            else:
                messages.info(request, _("本月服务中的客户都已发送过满意度调查，没有新发送。"))
    else:
        messages.error(request, _("请选择调查月份。"))
    query = urlencode({"period": period.strftime("%Y-%m")})
    return redirect(f"{reverse('delivery:survey_list')}?{query}")


# ---------------------------------------------------------------------------------------------
# Detail and follow-ups
# ---------------------------------------------------------------------------------------------


def _detail(request, survey: Survey, *, close_form: CloseForm | None = None, status: int = 200):
    follow_up = selectors.follow_up_of(survey)
    can_close = (
        follow_up is not None
        and follow_up.status == FollowUpStatus.OPEN
        and services.can_close(request.user, follow_up)
    )
    context = {
        "s": survey,
        "follow_up": follow_up,
        "link": survey_link(request, survey),
        "link_state": services.link_state(survey),
        "answers": [
            (
                Survey._meta.get_field(name).verbose_name,
                getattr(survey, name),
                RATING_LABELS.get(getattr(survey, name), ""),
            )
            for name in Survey.DIMENSIONS
        ],
        "low_score": services.low_score(),
        "close_form": (close_form or CloseForm()) if can_close else None,
        "events": selectors.survey_history(survey),
        "follow_up_colours": FOLLOW_UP_COLOURS,
        "today": timezone.localdate(),
    }
    return render(request, "delivery/survey_detail.html", context, status=status)


def survey_detail(request, pk: int):
    return _detail(request, access_survey(request.user, pk))


FOLLOW_UP_COLUMNS = [
    ("due", gettext_lazy("处理期限")),
    ("client", gettext_lazy("客户")),
    ("", gettext_lazy("评分")),
    ("", gettext_lazy("跟进人")),
    ("", gettext_lazy("状态")),
]


@staff_roles
def follow_up_list(request):
    state = ListState.from_request(request, sorts=selectors.FOLLOW_UP_SORTS, default_sort="due")
    filters = FollowUpFilterForm(request.GET).filters()
    today = timezone.localdate()
    page = state.paginate(
        selectors.follow_up_list(
            user=request.user, filters=filters, today=today, ordering=state.ordering()
        ),
        per_page=PAGE_SIZE,
    )
    bar = FilterBar(
        action=reverse("delivery:follow_up_list"),
        target="#follow-up-table",
        fields=[
            FilterField("view", _("范围"), "radio", filters.view, options=FOLLOW_UP_VIEWS),
            FilterField("status", _("状态"), value=filters.status, options=FollowUpStatus.choices),
            FilterField("overdue", _("只看逾期"), "check", filters.overdue),
        ],
        hidden={"sort": state.sort},
    )
    context = {
        "page": page,
        "page_links": state.page_links(page),
        "state": state,
        "columns": [state.column(key, label) for key, label in FOLLOW_UP_COLUMNS],
        "filters": filters,
        "filter_bar": bar,
        "today": today,
        "follow_up_colours": FOLLOW_UP_COLOURS,
    }
    template = "delivery/follow_up_list.html"
    if wants_fragment(request):
        return render(request, f"{template}#table", context)
    return render(request, template, context)


@require_POST
def follow_up_close(request, pk: int):
    follow_up = FollowUp.objects.filter(pk=pk).only("id", "survey_id").first()
    if follow_up is None:
        raise Http404
    survey = access_survey(request.user, follow_up.survey_id)
    current = selectors.follow_up_of(survey)
    if not services.can_close(request.user, current):
        raise PermissionDenied
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            services.follow_up_close(
                follow_up=current, outcome=form.cleaned_data["outcome"], by=request.user
            )
        except DomainError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("已记录回访处理结果。"))
            return redirect("delivery:survey_detail", pk=survey.pk)
    return _detail(request, survey, close_form=form, status=422)


# ---------------------------------------------------------------------------------------------
# The client's page (no login)
# ---------------------------------------------------------------------------------------------

#: The HTTP status of each page of a link that cannot be answered: a link that never existed is
#: "not found"; an expired or answered one is "gone".
MESSAGE_STATUS = {"invalid": 404, services.LINK_EXPIRED: 410, services.LINK_ANSWERED: 410}


def _message_page(request, kind: str, *, survey: Survey | None = None, status: int | None = None):
    return links.no_index(
        render(
            request,
            "delivery/survey_public_message.html",
            {"kind": kind, "s": survey},
            status=status or MESSAGE_STATUS[kind],
        )
    )


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def survey_public(request, token: str):
    """The client's answer page. CSRF protection stays on: the form is rendered by this site and
    posts back to it, so the CSRF cookie is always there (as on the plan approval page)."""
    try:
        survey = services.survey_from_token(token)
    except services.SurveyLinkInvalid:
        return _message_page(request, "invalid")
    state = services.link_state(survey)
    if state != services.LINK_OPEN:
        return _message_page(request, state, survey=survey)
    form = AnswerForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            services.survey_answer(
                survey=survey,
                ratings=form.ratings(),
                comment=form.cleaned_data["comment"],
                respondent_name=form.cleaned_data["respondent_name"],
            )
        except services.SurveyAnswered:
            return _message_page(request, services.LINK_ANSWERED, survey=survey)
        except services.SurveyLinkExpired:
            return _message_page(request, services.LINK_EXPIRED, survey=survey)
        except DomainError as error:
            add_service_error(form, error)
        else:
            return _message_page(request, "thanks", survey=survey, status=200)
    return links.no_index(
        render(
            request,
            "delivery/survey_public.html",
            {"s": survey, "form": form, "dimensions": [form[n] for n in Survey.DIMENSIONS]},
            status=400 if form.is_bound else 200,
        )
    )


urlpatterns = [
    path("surveys/", survey_list, name="survey_list"),
    path("surveys/send/", survey_send, name="survey_send"),
    path("surveys/send-batch/", survey_send_batch, name="survey_send_batch"),
    path("surveys/follow-ups/", follow_up_list, name="follow_up_list"),
    path("surveys/follow-ups/<int:pk>/close/", follow_up_close, name="follow_up_close"),
    path("surveys/<int:pk>/", survey_detail, name="survey_detail"),
    path("s/<str:token>/", survey_public, name="survey_public"),
]

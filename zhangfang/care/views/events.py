"""Client event pages (policy 四（二）3): the list with seats taken against capacity, planning and
editing an event, its detail page (figures, the invitations with their links, cancelling),
inviting a target list or one client, the attendance sheet with closing the event, feedback
recorded by phone, and the client's RSVP and feedback page (no login)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from zhangfang.care.forms.events import (
    ATTENDED_CHOICES,
    WHEN_CHOICES,
    AttendanceForm,
    CancelForm,
    EventFilterForm,
    EventForm,
    FeedbackForm,
    FinishForm,
    InvitationFilterForm,
    RsvpForm,
    TargetForm,
)
from zhangfang.care.models import ClientEvent, EventKind, EventStatus, Invitation, RsvpStatus
from zhangfang.care.selectors import events as selectors
from zhangfang.care.services import events as services
from zhangfang.clients.picker import client_picker
from zhangfang.core import links
from zhangfang.core.errors import DomainError
from zhangfang.core.forms import add_service_error, save_edit, submit
from zhangfang.core.listing import FilterBar, FilterField, ListState, wants_fragment
from zhangfang.core.permissions import role_required
from zhangfang.core.roles import Role
from zhangfang.core.selectors import audit_history_for

PAGE_SIZE = 25
INVITATION_PAGE_SIZE = 50

staff_roles = role_required(*Role.values)
write_roles = role_required(*selectors.WRITE_ROLES)

STATUS_COLOURS = {
    EventStatus.PLANNED: "secondary",
    EventStatus.INVITING: "primary",
    EventStatus.FINISHED: "success",
    EventStatus.CANCELLED: "dark",
}
RSVP_COLOURS = {
    RsvpStatus.PENDING: "light",
    RsvpStatus.ACCEPTED: "success",
    RsvpStatus.DECLINED: "secondary",
}

#: Link states whose link a member of staff may still pass on to the client.
LIVE_LINKS = (services.LINK_OPEN, services.LINK_FEEDBACK)


def access_event(pk: int) -> ClientEvent:
    """Every member of staff reads an event; 404 for one that does not exist."""
    event = selectors.event_get(pk=pk)
    if event is None:
        raise Http404
    return event


def manage_event(user, pk: int) -> ClientEvent:
    """The event if ``user`` runs it (403 otherwise: the event itself is no secret)."""
    event = access_event(pk)
    if not services.can_manage(user, event):
        raise PermissionDenied
    return event


# ---------------------------------------------------------------------------------------------
# List
# ---------------------------------------------------------------------------------------------

COLUMNS = [
    ("starts", gettext_lazy("时间")),
    ("title", gettext_lazy("活动名称")),
    ("", gettext_lazy("类型")),
    ("", gettext_lazy("地点")),
    ("capacity", gettext_lazy("报名 / 名额")),
    ("", gettext_lazy("状态")),
    ("", gettext_lazy("组织人")),
]


@staff_roles
def event_list(request):
    fragment = wants_fragment(request)
    filters = EventFilterForm(request.GET).filters()
    # Coming events read soonest first; past ones most recent first.
    default_sort = "-starts" if filters.when == selectors.PAST else "starts"
    state = ListState.from_request(request, sorts=selectors.EVENT_SORTS, default_sort=default_sort)
    queryset = selectors.event_list(filters=filters, now=timezone.now(), ordering=state.ordering())
    page = state.paginate(queryset, per_page=PAGE_SIZE)
    seats = selectors.accepted_seats([event.pk for event in page.object_list])
    for event in page.object_list:
        event.seats = seats.get(event.pk, 0)
        event.full = event.seats >= event.capacity
    bar = FilterBar(
        action=reverse("care:event_list"),
        target="#event-table",
        fields=[
            FilterField("when", _("时间"), "radio", filters.when, options=WHEN_CHOICES),
            FilterField("kind", _("活动类型"), value=filters.kind, options=EventKind.choices),
            FilterField("status", _("状态"), value=filters.status, options=EventStatus.choices),
        ],
        hidden={"sort": state.sort if state.sort != default_sort else ""},
    )
    context = {
        "page": page,
        "page_links": state.page_links(page),
        "state": state,
        "filters": filters,
        "filter_bar": None if fragment else bar,
        "columns": [state.column(key, label) for key, label in COLUMNS],
        "status_colours": STATUS_COLOURS,
        "can_write": services.can_write(request.user),
    }
    template = "care/event_list.html"
    return render(request, f"{template}#table" if fragment else template, context)


# ---------------------------------------------------------------------------------------------
# Planning and editing
# ---------------------------------------------------------------------------------------------


@write_roles
def event_create(request):
    form = EventForm(request.POST or None)
    created: list[ClientEvent] = []
    if submit(
        request,
        form,
        lambda: created.append(services.event_create(data=form.event_data(), by=request.user)),
    ):
        messages.success(request, _("活动已创建。下一步：邀请客户。"))
        return redirect("care:event_detail", pk=created[0].pk)
    return render(request, "care/event_form.html", {"form": form, "event": None})


def event_edit(request, pk: int):
    event = manage_event(request.user, pk)
    if event.status not in services.OPEN_STATUSES:
        messages.error(request, _("已举办或已取消的活动不能再修改。"))
        return redirect("care:event_detail", pk=event.pk)
    form = EventForm(request.POST or None, instance=event)
    context = {"form": form, "event": event}
    if save_edit(
        request,
        form,
        context,
        save=lambda version: services.event_update(
            event=event, data=form.event_data(), expected_version=version, by=request.user
        ),
        reload=lambda: access_event(pk),
    ):
        messages.success(request, _("活动已保存。"))
        return redirect("care:event_detail", pk=event.pk)
    return render(request, "care/event_form.html", context)


# ---------------------------------------------------------------------------------------------
# Detail
# ---------------------------------------------------------------------------------------------

INVITATION_COLUMNS = [
    ("client", gettext_lazy("客户")),
    ("", gettext_lazy("联系人")),
    ("rsvp_at", gettext_lazy("回复")),
    ("", gettext_lazy("参加人")),
    ("", gettext_lazy("出席")),
    ("", gettext_lazy("评价")),
    ("", gettext_lazy("报名链接")),
]


def _detail(request, event: ClientEvent, *, cancel_form: CancelForm | None = None, status=200):
    fragment = wants_fragment(request)
    user = request.user
    manage = services.can_manage(user, event)
    now = timezone.now()
    state = ListState.from_request(request, sorts=selectors.INVITATION_SORTS, default_sort="client")
    filters = InvitationFilterForm(request.GET).filters()
    page = state.paginate(
        selectors.invitation_list(
            user=user, event=event, manage=manage, filters=filters, ordering=state.ordering()
        ),
        per_page=INVITATION_PAGE_SIZE,
    )
    base_url = links.request_base_url(request)
    # The rows shown are the ones this user may record phone feedback for, if they write at all.
    can_phone_feedback = services.can_write(user)
    for row in page.object_list:
        row.event = event
        row.link_state = services.link_state(row, now=now)
        row.link = services.rsvp_url(row, base_url) if row.link_state in LIVE_LINKS else ""
        row.can_record_feedback = can_phone_feedback and row.link_state == services.LINK_FEEDBACK
    bar = FilterBar(
        action=reverse("care:event_detail", args=[event.pk]),
        target="#invitation-table",
        fields=[
            FilterField.search(_("搜索"), filters.q, placeholder=_("客户名称或参加人")),
            FilterField("rsvp", _("回复"), value=filters.rsvp, options=RsvpStatus.choices),
            FilterField("attended", _("出席"), value=filters.attended, options=ATTENDED_CHOICES),
        ],
        hidden={"sort": state.sort if state.sort != "client" else ""},
    )
    is_open = event.status in services.OPEN_STATUSES
    context = {
        "event": event,
        "manage": manage,
        "page": page,
        "page_links": state.page_links(page),
        "state": state,
        "filters": filters,
        "filter_bar": bar,
        "columns": [state.column(key, label) for key, label in INVITATION_COLUMNS],
        "rsvp_colours": RSVP_COLOURS,
        "status_colours": STATUS_COLOURS,
        "now": now,
    }
    if fragment:
        return render(request, "care/event_detail.html#invitations", context, status=status)
    context.update(
        counts=selectors.event_counts(event),
        can_invite=services.can_write(user) and is_open and now < event.starts_at,
        can_attend=manage
        and event.status in (EventStatus.INVITING, EventStatus.FINISHED)
        and now >= event.starts_at,
        cancel_form=(cancel_form or CancelForm()) if manage and is_open else None,
        events=audit_history_for(event, limit=100),
        started=now >= event.starts_at,
    )
    return render(request, "care/event_detail.html", context, status=status)


@staff_roles
def event_detail(request, pk: int):
    return _detail(request, access_event(pk))


@require_POST
def event_cancel(request, pk: int):
    event = manage_event(request.user, pk)
    form = CancelForm(request.POST)
    if submit(
        request,
        form,
        lambda: services.event_cancel(
            event=event, reason=form.cleaned_data["reason"], by=request.user
        ),
    ):
        messages.success(request, _("活动已取消；已报名的客户将收到取消通知邮件。"))
        return redirect("care:event_detail", pk=event.pk)
    return _detail(request, access_event(pk), cancel_form=form, status=422)


# ---------------------------------------------------------------------------------------------
# Inviting
# ---------------------------------------------------------------------------------------------


def _invite_messages(request, result: services.InviteResult) -> None:
    if result.created:
        text = _("已邀请 %(count)s 家客户，邀请邮件将发送给各客户的联系人。") % {
            "count": len(result.created)
        }
        if result.already:
            text += " " + _("另有 %(count)s 家此前已邀请，未重复邀请。") % {"count": result.already}
        messages.success(request, text)
    else:
        messages.info(request, _("所选客户都已邀请过，没有新的邀请。"))


@write_roles
@require_http_methods(["GET", "POST"])
def event_invite(request, pk: int):
    event = access_event(pk)
    user = request.user
    invitable = services.invitable_clients(user, event)
    url = reverse("care:event_invite", args=[event.pk])
    closed_reason = ""
    if event.status not in services.OPEN_STATUSES:
        closed_reason = _("已举办或已取消的活动不能再邀请客户。")
    elif timezone.now() >= event.starts_at:
        closed_reason = _("活动已开始，不能再邀请客户。")
    target_form = TargetForm(
        request.POST if request.method == "POST" and request.POST.get("mode") == "target" else None
    )
    chosen = None
    client_pk = request.GET.get("client", "") or request.POST.get("client", "")
    if client_pk:
        chosen = invitable.filter(pk=int(client_pk)).first() if client_pk.isdigit() else None
        if chosen is None:
            raise Http404
    if request.method == "POST" and not closed_reason:
        try:
            if request.POST.get("mode") == "client" and chosen is not None:
                result = services.event_invite(
                    event=event, client=chosen, by=user, base_url=links.request_base_url(request)
                )
                _invite_messages(request, result)
                return redirect("care:event_detail", pk=event.pk)
            if target_form.is_valid():
                result = services.event_invite(
                    event=event,
                    target=target_form.target(),
                    by=user,
                    base_url=links.request_base_url(request),
                )
                _invite_messages(request, result)
                return redirect("care:event_detail", pk=event.pk)
        except DomainError as error:
            if chosen is not None:
                messages.error(request, error.message)
            else:
                add_service_error(target_form, error)
    context = {
        "event": event,
        "manage": services.can_manage(user, event),
        "target_form": target_form,
        "chosen": chosen,
        "closed_reason": closed_reason,
        "picker_hint": _("只列出您可以邀请的服务中客户。"),
    }
    status = 400 if request.method == "POST" else 200
    if chosen is not None or closed_reason:
        return render(request, "care/event_invite.html", context, status=status)
    response = client_picker(
        request,
        template="care/event_invite.html",
        url=url,
        search=lambda q: selectors.invite_client_search(clients=invitable, q=q),
        **context,
    )
    response.status_code = status
    return response


# ---------------------------------------------------------------------------------------------
# Attendance and closing
# ---------------------------------------------------------------------------------------------


def _attendance(request, event: ClientEvent, *, form=None, finish_form=None, status=200):
    invitations = selectors.accepted_invitations(event)
    now = timezone.now()
    ticked = (
        {int(v) for v in form.data.getlist("attended") if str(v).isdigit()}
        if form is not None and form.is_bound
        else {i.pk for i in invitations if i.attended}
    )
    context = {
        "event": event,
        "invitations": invitations,
        "ticked": ticked,
        "form": form,
        "open": event.status in (EventStatus.INVITING, EventStatus.FINISHED)
        and now >= event.starts_at,
        "finish_form": (finish_form or FinishForm())
        if event.status == EventStatus.INVITING and now >= event.ends_at
        else None,
        "seats": sum(i.attendees for i in invitations),
        "status_colours": STATUS_COLOURS,
    }
    return render(request, "care/event_attendance.html", context, status=status)


@require_http_methods(["GET", "POST"])
def event_attendance(request, pk: int):
    event = manage_event(request.user, pk)
    if request.method == "GET":
        return _attendance(request, event)
    invitations = selectors.accepted_invitations(event)
    form = AttendanceForm(request.POST, invitations=invitations)
    changed: list[int] = []
    if form.is_valid():
        try:
            changed.append(
                services.attendance_record(
                    event=event, attended_ids=form.cleaned_data["attended"], by=request.user
                )
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request, _("出席情况已保存（%(count)s 家有变动）。") % {"count": changed[0]}
            )
            return redirect("care:event_attendance", pk=event.pk)
    return _attendance(request, event, form=form, status=400)


@require_POST
def event_finish(request, pk: int):
    event = manage_event(request.user, pk)
    form = FinishForm(request.POST)
    if submit(
        request,
        form,
        lambda: services.event_finish(
            event=event, summary=form.cleaned_data["summary"], by=request.user
        ),
    ):
        messages.success(request, _("活动已标记为已举办；出席的客户可通过原链接提交反馈。"))
        return redirect("care:event_detail", pk=event.pk)
    return _attendance(request, access_event(pk), finish_form=form, status=422)


# ---------------------------------------------------------------------------------------------
# Feedback given by phone
# ---------------------------------------------------------------------------------------------


@write_roles
@require_http_methods(["GET", "POST"])
def event_feedback(request, pk: int, invitation_pk: int):
    event = access_event(pk)
    invitation = selectors.invitation_get(
        user=request.user,
        event=event,
        pk=invitation_pk,
        manage=services.can_manage(request.user, event),
    )
    if invitation is None:
        raise Http404
    if not services.can_record_feedback(request.user, invitation):
        raise PermissionDenied
    state = services.link_state(invitation)
    form = FeedbackForm(request.POST or None) if state == services.LINK_FEEDBACK else None
    if form is not None and submit(
        request,
        form,
        lambda: services.feedback_submit(
            invitation=invitation,
            rating=form.cleaned_data["rating"],
            comment=form.cleaned_data["comment"],
            by=request.user,
        ),
    ):
        messages.success(request, _("已记录客户的活动反馈。"))
        return redirect("care:event_detail", pk=event.pk)
    context = {"event": event, "invitation": invitation, "form": form, "state": state}
    status = 400 if request.method == "POST" else 200
    return render(request, "care/event_feedback.html", context, status=status)


# ---------------------------------------------------------------------------------------------
# The client's page (no login)
# ---------------------------------------------------------------------------------------------

#: A link that never existed is "not found"; a closed or used one is "gone".
MESSAGE_STATUS = {
    "invalid": 404,
    services.LINK_CLOSED: 410,
    services.LINK_CANCELLED: 410,
    services.LINK_FEEDBACK_GIVEN: 410,
}


def _message_page(request, kind: str, *, invitation: Invitation | None = None, status=None):
    return links.no_index(
        render(
            request,
            "care/rsvp_message.html",
            {"kind": kind, "invitation": invitation, "event": getattr(invitation, "event", None)},
            status=status or MESSAGE_STATUS[kind],
        )
    )


def _rsvp_initial(invitation: Invitation) -> dict:
    if invitation.rsvp == RsvpStatus.ACCEPTED:
        return {
            "answer": "accept",
            "attendees": invitation.attendees,
            "attendee_names": invitation.attendee_names,
        }
    if invitation.rsvp == RsvpStatus.DECLINED:
        return {"answer": "decline", "attendees": 1}
    contact = invitation.contact.name if invitation.contact_id else ""
    return {"attendees": 1, "attendee_names": contact}


def _public_feedback(request, invitation: Invitation):
    form = FeedbackForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            services.feedback_submit(
                invitation=invitation,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
            )
        except services.RsvpClosed as closed:
            return _message_page(request, closed.state, invitation=invitation)
        except DomainError as error:
            add_service_error(form, error)
        else:
            return _message_page(request, "feedback_thanks", invitation=invitation, status=200)
    return links.no_index(
        render(
            request,
            "care/rsvp_feedback.html",
            {"invitation": invitation, "event": invitation.event, "form": form},
            status=400 if form.is_bound else 200,
        )
    )


def _public_rsvp(request, invitation: Invitation):
    form = RsvpForm(
        request.POST if request.method == "POST" else None,
        initial=_rsvp_initial(invitation),
        max_attendees=services.max_attendees(),
    )
    if form.is_bound and form.is_valid():
        try:
            services.invitation_rsvp(
                invitation=invitation,
                accept=form.accepts,
                attendees=form.cleaned_data["attendees"] or 1,
                names=form.cleaned_data["attendee_names"],
            )
        except services.RsvpClosed as closed:
            return _message_page(request, closed.state, invitation=invitation)
        except DomainError as error:
            add_service_error(form, error)
        else:
            invitation.refresh_from_db()
            return _message_page(request, invitation.rsvp, invitation=invitation, status=200)
    return links.no_index(
        render(
            request,
            "care/rsvp_public.html",
            {
                "invitation": invitation,
                "event": invitation.event,
                "form": form,
                "answered": invitation.rsvp != RsvpStatus.PENDING,
                "seats_left": services.seats_left(invitation),
            },
            status=400 if form.is_bound else 200,
        )
    )


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def rsvp_public(request, token: str):
    """The client's page: the RSVP form until the event starts, then (for those who came to a
    finished event) the feedback form. CSRF protection stays on: the form is rendered by this
    site and posts back to it, so the CSRF cookie is always there."""
    try:
        invitation = services.invitation_from_token(token)
    except services.RsvpLinkInvalid:
        return _message_page(request, "invalid")
    state = services.link_state(invitation)
    if state == services.LINK_FEEDBACK:
        return _public_feedback(request, invitation)
    if state != services.LINK_OPEN:
        return _message_page(request, state, invitation=invitation)
    return _public_rsvp(request, invitation)


urlpatterns = [
    path("events/", event_list, name="event_list"),
    path("events/new/", event_create, name="event_create"),
    path("events/<int:pk>/", event_detail, name="event_detail"),
    path("events/<int:pk>/edit/", event_edit, name="event_edit"),
    path("events/<int:pk>/invite/", event_invite, name="event_invite"),
    path("events/<int:pk>/attendance/", event_attendance, name="event_attendance"),
    path("events/<int:pk>/finish/", event_finish, name="event_finish"),
    path("events/<int:pk>/cancel/", event_cancel, name="event_cancel"),
    path(
        "events/<int:pk>/invitations/<int:invitation_pk>/feedback/",
        event_feedback,
        name="event_feedback",
    ),
    path("rsvp/<str:token>/", rsvp_public, name="rsvp_public"),
]

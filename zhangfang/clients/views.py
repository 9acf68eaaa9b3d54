"""Client pages: list, detail with tabs, create/edit, contacts, status changes, reveals."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhangfang.clients import export, permissions, selectors, services, tabs
from zhangfang.clients.forms import (
    BulkReassignForm,
    ClientForm,
    ClientTagForm,
    ContactForm,
    StatusChangeForm,
)
from zhangfang.clients.list_page import client_list_context, filtered_clients
from zhangfang.clients.models import ClientStatus
from zhangfang.core.errors import ConcurrentEditError, DomainError
from zhangfang.core.excel import xlsx_response
from zhangfang.core.forms import add_service_error, rebased_form
from zhangfang.core.listing import wants_fragment
from zhangfang.core.permissions import role_required
from zhangfang.core.roles import Role
from zhangfang.core.selectors import audit_history_for

#: Who keeps the firm's list of client tags (a shared vocabulary for targeting bulletins).
TAG_MANAGERS = (Role.ADMIN, Role.DEPARTMENT_HEAD)


def client_list(request):
    fragment = wants_fragment(request)
    context = client_list_context(request, fragment=fragment)
    template = "clients/client_list.html#table" if fragment else "clients/client_list.html"
    return render(request, template, context)


def client_export(request):
    """The filtered list as an Excel file; the export itself is written to the audit log."""
    if not permissions.can_export_clients(request.user):
        raise PermissionDenied
    _state, filters, queryset = filtered_clients(request)
    queryset = selectors.with_tags(selectors.with_primary_contact(queryset))
    count = queryset.count()
    services.client_list_exported(filters=filters, count=count, by=request.user)
    return xlsx_response(
        filename=_("客户列表") + f"-{timezone.localdate():%Y%m%d}.xlsx",
        sheet=_("客户列表"),
        headers=export.headers(),
        rows=export.client_rows(queryset.iterator(chunk_size=2000)),
    )


def _detail_context(request, client, tab_key: str) -> dict:
    tab = tabs.TABS.get(tab_key) or tabs.TABS["overview"]
    template, context = tab.render(request, client)
    context.update(
        {
            "c": client,
            "tab": tab.key,
            "tab_template": template,
            "tabs": [(t.key, t.label) for t in tabs.TABS.values()],
        }
    )
    if tab.key == "overview":
        # Loaded here, not by the template, so the page's queries stay in the selectors.
        context["client_tags"] = selectors.client_tags(client)
    return context


def client_detail(request, pk: int):
    client = permissions.access_client(request.user, pk)
    context = _detail_context(request, client, request.GET.get("tab", "overview"))
    context["transitions"] = [
        (code, ClientStatus(code).label)
        for code in sorted(services.CLIENT_TRANSITIONS.get(client.status, ()))
    ]
    return render(request, "clients/client_detail.html", context)


def client_tab(request, pk: int, tab: str):
    client = permissions.access_client(request.user, pk)
    if tab not in tabs.TABS:
        raise Http404
    context = _detail_context(request, client, tab)
    # The tab bar comes back with the content, so the selected tab is marked.
    return render(request, "clients/client_detail.html#tabs", context)


def client_create(request):
    if not permissions.can_create_client(request.user):
        raise PermissionDenied
    manage_team = permissions.can_manage_team(request.user)
    form = ClientForm(request.POST or None, can_manage_team=manage_team)
    if request.method == "POST" and form.is_valid():
        data = form.client_data()
        if not manage_team:
            # A salesperson's new client is theirs, in their department, so they keep seeing it.
            data.update(sales_owner=request.user, department=request.user.department)
        try:
            client = services.client_create(data=data, by=request.user)
        except DomainError as error:
            form.add_error("uscc", error.message)
        else:
            messages.success(request, _("客户“%(name)s”已创建。") % {"name": client.name})
            return redirect("clients:detail", pk=client.pk)
    context = {"form": form, "region_options": selectors.region_options(user=request.user)}
    return render(request, "clients/client_form.html", context)


def _changed_since(submitted: dict, current) -> list[tuple[str, object]]:
    """The fields someone else saved differently from what this user submitted (for a clash)."""
    changed = []
    for name, value in submitted.items():
        if name in ("version", "bank_account"):
            continue
        label = current._meta.get_field(name).verbose_name
        if name == "tags":
            theirs = selectors.client_tags(current)
            if {tag.pk for tag in value} != {tag.pk for tag in theirs}:
                changed.append((label, "、".join(tag.name for tag in theirs)))
        elif value != getattr(current, name):
            changed.append((label, getattr(current, name)))
    return changed


def client_edit(request, pk: int):
    client = permissions.access_client(request.user, pk)
    manage_team = permissions.can_manage_team(request.user)
    form = ClientForm(request.POST or None, instance=client, can_manage_team=manage_team)
    context = {
        "form": form,
        "c": client,
        "region_options": selectors.region_options(user=request.user),
    }
    if request.method == "POST" and form.is_valid():
        try:
            services.client_update(
                client=client,
                data=form.client_data(),
                expected_version=form.cleaned_data.get("version"),
                by=request.user,
            )
        except ConcurrentEditError as error:
            current = permissions.access_client(request.user, pk)
            submitted = form.cleaned_data
            context["form"] = rebased_form(
                ClientForm,
                request,
                version=current.version,
                instance=current,
                can_manage_team=manage_team,
            )
            context["conflict"] = error.message
            context["changed_since"] = _changed_since(submitted, current)
            context["c"] = current
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("客户信息已保存。"))
            return redirect("clients:detail", pk=client.pk)
    return render(request, "clients/client_form.html", context)


@require_POST
def clients_bulk_reassign(request):
    """Reassign a batch of clients ticked on the list; back to the same list afterwards."""
    if not permissions.can_manage_team(request.user):
        raise PermissionDenied
    form = BulkReassignForm(
        request.POST, visible_clients=selectors.clients_visible_to(request.user)
    )
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    else:
        data = form.cleaned_data
        try:
            changed = services.clients_reassign(
                clients=list(data["ids"]), field=data["field"], to=data["to"], by=request.user
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            label = dict(form.fields["field"].choices)[data["field"]]
            messages.success(
                request,
                _("已将 %(count)s 个客户的%(field)s调整为 %(name)s。")
                % {"count": changed, "field": label, "name": data["to"]},
            )
    return redirect(reverse("clients:list") + "?" + request.POST.get("query", ""))


@require_POST
def client_change_status(request, pk: int):
    client = permissions.access_client(request.user, pk)
    form = StatusChangeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择有效的状态。"))
    else:
        try:
            services.client_change_status(
                client=client,
                to=form.cleaned_data["to"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("客户状态已变更。"))
    return redirect("clients:detail", pk=client.pk)


def contact_create(request, pk: int):
    client = permissions.access_client(request.user, pk)
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_create(client=client, data=form.contact_data(), by=request.user)
        except DomainError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("联系人已添加。"))
            return redirect(reverse("clients:detail", args=[client.pk]) + "?tab=contacts")
    return render(request, "clients/contact_form.html", {"form": form, "c": client})


def contact_edit(request, pk: int, contact_pk: int):
    client = permissions.access_client(request.user, pk)
    contact = permissions.access_contact(request.user, client, contact_pk)
    form = ContactForm(request.POST or None, instance=contact)
    context = {"form": form, "c": client, "contact": contact}
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_update(
                contact=contact,
                data=form.contact_data(),
                expected_version=form.cleaned_data.get("version"),
                by=request.user,
            )
        except ConcurrentEditError as error:
            current = permissions.access_contact(request.user, client, contact_pk)
            context["form"] = rebased_form(
                ContactForm, request, version=current.version, instance=current
            )
            context["conflict"] = error.message
        except DomainError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("联系人已保存。"))
            return redirect(reverse("clients:detail", args=[client.pk]) + "?tab=contacts")
    return render(request, "clients/contact_form.html", context)


@require_POST
def contact_delete(request, pk: int, contact_pk: int):
    client = permissions.access_client(request.user, pk)
    contact = permissions.access_contact(request.user, client, contact_pk)
    services.contact_delete(contact=contact, by=request.user)
    messages.success(request, _("联系人已删除。"))
    return redirect(reverse("clients:detail", args=[client.pk]) + "?tab=contacts")


def _revealed(request, value: str) -> HttpResponse:
    return render(request, "clients/_revealed.html", {"value": value})


@require_POST
def client_reveal(request, pk: int, field: str):
    client = permissions.access_client(request.user, pk)
    if field != "bank_account" or not permissions.can_reveal(request.user, field):
        raise PermissionDenied
    return _revealed(request, services.client_reveal(client=client, field=field, by=request.user))


@require_POST
def contact_reveal(request, pk: int, contact_pk: int, field: str):
    client = permissions.access_client(request.user, pk)
    contact = permissions.access_contact(request.user, client, contact_pk)
    if field != "id_number" or not permissions.can_reveal(request.user, field):
        raise PermissionDenied
    return _revealed(
        request, services.contact_reveal(contact=contact, field=field, by=request.user)
    )


# -- client tags --------------------------------------------------------------------------------


def _get_tag(pk: int):
    tag = selectors.tag_get(pk)
    if tag is None:
        raise Http404
    return tag


@role_required(*TAG_MANAGERS)
def tag_list(request):
    """客户标签: every tag with how many clients carry it; add, rename, delete."""
    return render(request, "clients/tag_list.html", {"tags": list(selectors.tag_list())})


@role_required(*TAG_MANAGERS)
def tag_create(request):
    form = ClientTagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            tag = services.tag_create(name=form.cleaned_data["name"], by=request.user)
        except DomainError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("已添加标签“%(name)s”。") % {"name": tag.name})
            return redirect("clients:tag_list")
    return render(request, "clients/tag_form.html", {"form": form, "creating": True})


@role_required(*TAG_MANAGERS)
def tag_edit(request, pk: int):
    """Rename a tag; the page also shows how many clients carry it and its history."""
    tag = _get_tag(pk)
    form = ClientTagForm(request.POST or None, initial={"name": tag.name, "original": tag.name})
    context = {"form": form, "creating": False, "tag": tag}
    if request.method == "POST" and form.is_valid():
        try:
            services.tag_rename(
                tag=tag,
                name=form.cleaned_data["name"],
                expected_name=form.cleaned_data.get("original") or None,
                by=request.user,
            )
        except ConcurrentEditError as error:
            tag = _get_tag(pk)
            data = request.POST.copy()
            data["original"] = tag.name
            context.update(form=ClientTagForm(data), tag=tag, conflict=error.message)
        except DomainError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("标签已保存。"))
            return redirect("clients:tag_list")
    context["events"] = audit_history_for(context["tag"], limit=20)
    return render(request, "clients/tag_form.html", context)


@require_POST
@role_required(*TAG_MANAGERS)
def tag_delete(request, pk: int):
    tag = _get_tag(pk)
    count = services.tag_delete(tag=tag, by=request.user)
    messages.success(
        request,
        _("已删除标签“%(name)s”，并从 %(count)s 个客户移除。") % {"name": tag.name, "count": count},
    )
    return redirect("clients:tag_list")

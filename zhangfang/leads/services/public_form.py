"""The website lead form (二(二)1 网络营销): a visitor's enquiry becomes a prospect.

The prospect goes to the salesperson on duty today (``DutyRoster`` by weekday in the firm's time
zone); when nobody is on the roster, to the active salesperson with the fewest open prospects.
"""

from __future__ import annotations

import time
from typing import Any

from django.core import signing
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

import zhangfang.leads.policy_marketing  # noqa: F401  (registers the rate limit settings)
from zhangfang.core import audit, policy
from zhangfang.core.roles import Role
from zhangfang.core.search import pinyin_keys
from zhangfang.leads.models import Channel, DutyRoster, Prospect, Stage

#: Who the audit log names as the actor of a website submission (there is no user).
WEBSITE_ACTOR = "官网表单"
_SIGNING_SALT = "zhangfang.leads.public_form.started"
_RATE_KEY = "zhangfang:leads:apply:{address}"
_RATE_WINDOW_SECONDS = 60 * 60

PROSPECT_AUDIT_FIELDS = [
    "company_name",
    "contact_name",
    "contact_mobile",
    "email",
    "address",
    "tax_needs",
    "notes",
    "channel",
    "owner",
    "department",
    "stage",
]


# ---------------------------------------------------------------------------------------------
# Spam defence: the fill-time stamp and the rate limit
# ---------------------------------------------------------------------------------------------


def form_started_token() -> str:
    """A signed stamp of when the form was shown; a bot that posts at once is caught by it."""
    return signing.dumps(time.time(), salt=_SIGNING_SALT)


def seconds_since_started(token: str) -> float | None:
    """Seconds since the form with ``token`` was shown; None for a forged or day-old token."""
    try:
        started = float(signing.loads(token, salt=_SIGNING_SALT, max_age=24 * 60 * 60))
    except (signing.BadSignature, TypeError, ValueError):
        return None
    return time.time() - started


def minimum_fill_seconds() -> int:
    return int(policy.get("website_form_min_seconds"))


def rate_limited(address: str) -> bool:
    """Whether ``address`` has used up its submissions for the hour."""
    return (cache.get(_RATE_KEY.format(address=address)) or 0) >= int(
        policy.get("website_form_hourly_limit")
    )


def count_submission(address: str) -> None:
    """Count one submission from ``address``; the window starts with its first submission."""
    key = _RATE_KEY.format(address=address)
    if not cache.add(key, 1, _RATE_WINDOW_SECONDS):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, _RATE_WINDOW_SECONDS)


# ---------------------------------------------------------------------------------------------
# Who gets the lead
# ---------------------------------------------------------------------------------------------


def _salespeople():
    from zhangfang.staff.models import User

    return User.objects.filter(is_active=True, groups__name=Role.SALES)


def salesperson_on_duty(day=None):
    """The salesperson on the roster for ``day`` (today in Asia/Shanghai), else the active
    salesperson with the fewest open prospects (ties: the longest-standing account)."""
    day = day or timezone.localdate()
    entry = (
        DutyRoster.objects.select_related("user", "user__department")
        .filter(weekday=day.weekday(), user__is_active=True)
        .first()
    )
    if entry is not None:
        return entry.user
    open_stages = [Stage.WON, Stage.LOST]
    return (
        _salespeople()
        .select_related("department")
        .annotate(open_count=Count("prospects", filter=~Q(prospects__stage__in=open_stages)))
        .order_by("open_count", "pk")
        .first()
    )


def prospect_url(prospect: Prospect) -> str:
    """The prospect's page, by its URL name when the prospects part has it."""
    for name in ("leads:prospect_detail", "leads:detail"):
        try:
            return reverse(name, args=[prospect.pk])
        except NoReverseMatch:
            continue
    return f"/leads/prospects/{prospect.pk}/"


def _rescore(prospect: Prospect) -> None:
    try:
        from zhangfang.leads.services import prospects as prospect_services
    except ImportError:
        return
    rescore = getattr(prospect_services, "prospect_rescore", None)
    if rescore is None:
        return
    rescore(prospect)


@transaction.atomic
def website_lead_submit(*, data: dict[str, Any]) -> Prospect:
    """Create a prospect from the website form and tell the salesperson on duty.

    ``data`` holds the cleaned fields: company_name, contact_name, contact_mobile (E.164), email,
    city, tax_needs (codes) and message. The city goes to the address, the message to the notes.
    """
    from zhangfang.notifications.services import notify

    owner = salesperson_on_duty()
    channel = Channel.objects.get(code=Channel.WEBSITE)
    message = data.get("message", "").strip()
    notes = _("官网留言：%(message)s") % {"message": message} if message else ""
    prospect = Prospect.objects.create(
        company_name=data["company_name"],
        contact_name=data["contact_name"],
        contact_mobile=data["contact_mobile"],
        email=data.get("email", ""),
        address=data.get("city", ""),
        tax_needs=list(data.get("tax_needs") or []),
        notes=notes,
        channel=channel,
        owner=owner,
        department=owner.department if owner else None,
        stage=Stage.LEAD,
        search_pinyin=pinyin_keys(data["company_name"], data["contact_name"]),
    )
    _rescore(prospect)
    prospect.refresh_from_db()
    audit.record(
        action="create",
        obj=prospect,
        actor_name=WEBSITE_ACTOR,
        changes=audit.created(audit.snapshot(prospect, PROSPECT_AUDIT_FIELDS)),
        detail=_("官网客户登记表提交"),
    )
    if owner is not None:
        recipients = [owner]
    else:
        from zhangfang.staff.models import User

        recipients = list(User.objects.filter(is_active=True, groups__name=Role.ADMIN).distinct())
    notify(
        recipients=recipients,
        title=_("官网新线索：%(company)s") % {"company": prospect.company_name},
        body=_("联系人 %(name)s，请在 1 个工作日内联系。") % {"name": prospect.contact_name},
        url=prospect_url(prospect),
        dedupe_key=f"leads-website-{prospect.pk}",
    )
    return prospect


# ---------------------------------------------------------------------------------------------
# The duty roster
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def duty_roster_set(*, weekday: int, user, by) -> DutyRoster | None:
    """Put ``user`` on duty on ``weekday`` (0 = Monday), or clear the day when ``user`` is None."""
    current = DutyRoster.objects.select_for_update().filter(weekday=weekday).first()
    before = str(current.user) if current else None
    if user is None:
        if current is not None:
            audit.record(
                action="delete",
                by=by,
                obj=current,
                changes={"user": [before, None]},
            )
            current.delete()
        return None
    if current is None:
        current = DutyRoster.objects.create(weekday=weekday, user=user)
        audit.record(action="create", by=by, obj=current, changes={"user": [None, str(user)]})
    elif current.user_id != user.pk:
        current.user = user
        current.save(update_fields=["user"])
        audit.record(action="update", by=by, obj=current, changes={"user": [before, str(user)]})
    return current


@transaction.atomic
def duty_roster_save(*, assignments: list[tuple[int, Any]], by) -> None:
    """Save the whole week at once: ``[(weekday, user or None), ...]``."""
    for weekday, user in assignments:
        duty_roster_set(weekday=weekday, user=user, by=by)

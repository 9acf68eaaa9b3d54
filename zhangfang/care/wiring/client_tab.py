"""The client page's 关系维护 tab: return visits, the bulletins the client received, the
greetings sent to its contacts and the events it was invited to, one section per part."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from zhangfang.clients import tabs as client_tabs


def _care_tab(request, client):
    from zhangfang.care.selectors.bulletins import client_bulletins
    from zhangfang.care.selectors.events import client_events
    from zhangfang.care.selectors.greetings import client_greetings
    from zhangfang.care.selectors.visits import client_visits

    return "care/client_tab.html", {
        "visits": client_visits(client),
        "bulletins": client_bulletins(client),
        "greetings": client_greetings(client),
        "event_invitations": client_events(client),
    }


client_tabs.register("care", _("关系维护"), _care_tab)

"""Home page (per role: what needs attention today) and the health check."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import render

from zhangfang.core.dashboard import panels_for


def home(request):
    """What needs the user's attention today, from the panels the chapters register."""
    return render(request, "core/home.html", {"panels": panels_for(request)})


@login_not_required
def healthz(request):
    """For load balancers and the run script: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")

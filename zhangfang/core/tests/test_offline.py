"""Every page works offline: no template loads scripts or styles from another host; CSP is on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

import zhangfang
from zhangfang.staff.tests.factories import UserFactory

REMOTE_ASSET = re.compile(r"""<(script|link)[^>]+(src|href)=["']?(https?:)?//""", re.IGNORECASE)
TEMPLATES = sorted(Path(zhangfang.__file__).parent.rglob("templates/**/*.html"))
# The HTML part of an e-mail (``*_email.html``) is read in a mail client, not served under our
# CSP, and mail clients drop <style> blocks: inline styles are the only way to lay it out.
PAGE_TEMPLATES = [t for t in TEMPLATES if not t.name.endswith("_email.html")]


def test_templates_were_found():
    assert len(TEMPLATES) > 10


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(p.parents[3])))
def test_no_template_loads_remote_scripts_or_styles(template):
    assert not REMOTE_ASSET.search(template.read_text(encoding="utf-8"))


@pytest.mark.parametrize("template", PAGE_TEMPLATES, ids=lambda p: str(p.relative_to(p.parents[3])))
def test_no_inline_styles_or_handlers_that_csp_would_block(template):
    text = template.read_text(encoding="utf-8")
    assert not re.search(r"\sstyle=", text), "CSP style-src 'self' blocks style attributes"
    assert not re.search(r"\son[a-z]+=", text), "CSP blocks inline event handlers"
    for script in re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", text):
        assert "nonce" in script, "inline scripts need the CSP nonce"


@pytest.mark.django_db
def test_pages_send_a_content_security_policy(client):
    client.force_login(UserFactory(roles=["admin"]))
    response = client.get(reverse("clients:list"))
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "/static/bootstrap/css/bootstrap.min.css" in response.text
    assert "/static/django_htmx/htmx-2.min.js" in response.text


@pytest.mark.django_db
def test_navigation_marks_only_the_current_page(client):
    client.force_login(UserFactory(roles=["admin"]))
    response = client.get(reverse("staff:department_list"))
    active = [
        item["label"]
        for section in response.context["nav_sections"]
        for item in section["items"]
        if item.get("active")
    ]
    assert [str(label) for label in active] == ["部门"]


@pytest.mark.parametrize(
    ("behind_proxy", "expected"),
    [(False, "10.0.0.1"), (True, "203.0.113.9")],
)
def test_client_address_comes_from_the_proxy_only_when_behind_one(
    rf, settings, behind_proxy, expected
):
    from zhangfang.core.middleware import client_ip

    settings.BEHIND_TLS_PROXY = behind_proxy
    request = rf.get("/", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9", REMOTE_ADDR="10.0.0.1")
    assert client_ip(request) == expected

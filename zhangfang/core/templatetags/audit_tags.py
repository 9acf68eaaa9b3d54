from django import template

from zhangfang.core.audit import changed_fields

register = template.Library()


@register.filter
def audit_changes(event):
    """The changed fields of an audit event as ``(label, before, after)`` rows."""
    return changed_fields(event)

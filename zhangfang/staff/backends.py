"""Authentication backend: Django's, loading the user's department with the user."""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from zhangfang.staff.models import User


class StaffBackend(ModelBackend):
    """Every page shows the user's department (menu, data scope); one query loads both."""

    def get_user(self, user_id):
        try:
            user = User._default_manager.select_related("department").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

from __future__ import annotations

import factory
from django.contrib.auth.models import Group

from zhangfang.staff.models import Department, User

TEST_PASSWORD = "Zhangfang#2026"


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"服务{n}部")


class UserFactory(factory.django.DjangoModelFactory):
    """A member of staff; ``roles=["accountant"]`` puts them in those role groups."""

    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    name = factory.Sequence(lambda n: f"员工{n}")
    department = factory.SubFactory(DepartmentFactory)
    password = factory.django.Password(TEST_PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(*Group.objects.filter(name__in=extracted))

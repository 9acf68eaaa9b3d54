from __future__ import annotations

import random

import factory

from zhangfang.clients.models import Client, ClientStatus, Contact
from zhangfang.core import sample_data
from zhangfang.core.search import pinyin_keys
from zhangfang.staff.tests.factories import DepartmentFactory

_rng = random.Random(20261127)


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    name = factory.Sequence(lambda n: f"深圳市测试{n}号科技有限公司")
    short_name = factory.Sequence(lambda n: f"测试{n}")
    uscc = factory.LazyFunction(lambda: sample_data.uscc(_rng))
    status = ClientStatus.ACTIVE
    industry = "I"
    department = factory.SubFactory(DepartmentFactory)
    # The service keeps the pinyin keys; factories write rows directly, so they compute them too.
    search_pinyin = factory.LazyAttribute(lambda o: pinyin_keys(o.name, o.short_name))


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    client = factory.SubFactory(ClientFactory)
    name = factory.LazyFunction(lambda: sample_data.person_name(_rng))
    mobile = factory.LazyFunction(lambda: sample_data.mobile(_rng))
    is_primary = True

"""Relationship maintenance (policy 四（一）（二）), one module per part: return visits,
policy bulletins, greetings and client events."""

from zhangfang.care.models.bulletins import (  # noqa: F401
    Bulletin,
    BulletinCategory,
    BulletinDelivery,
    BulletinStatus,
    DeliveryChannel,
    DeliveryStatus,
)
from zhangfang.care.models.events import (  # noqa: F401
    ClientEvent,
    EventKind,
    EventStatus,
    Invitation,
    RsvpStatus,
)
from zhangfang.care.models.greetings import (  # noqa: F401
    DateRule,
    GreetingDay,
    GreetingKind,
    GreetingSend,
    GreetingStatus,
    GreetingTemplate,
)
from zhangfang.care.models.visits import (  # noqa: F401
    ProblemStatus,
    ReturnVisit,
    ReturnVisitStatus,
    VisitMethod,
    VisitProblem,
)

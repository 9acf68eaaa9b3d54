"""Client service (policy chapter 三), one module per part: request intake (三（二）1), the
monthly work (三（二）3), quality spot checks (三（二）4) and satisfaction surveys (三（二）4,
三（三）4)."""

from zhangfang.delivery.models.quality import (  # noqa: F401
    ChecklistItem,
    CheckStatus,
    QualityCheck,
    QualitySample,
    QualityScore,
    Rectification,
    RectificationStatus,
    SampleMethod,
)
from zhangfang.delivery.models.requests import (  # noqa: F401
    OPEN_STATUSES,
    Channel,
    RequestCategory,
    RequestStatus,
    RouteTarget,
    RoutingRule,
    ServiceRequest,
    Urgency,
)
from zhangfang.delivery.models.scope import ServiceScope  # noqa: F401
from zhangfang.delivery.models.surveys import (  # noqa: F401
    FollowUp,
    FollowUpStatus,
    Survey,
)
from zhangfang.delivery.models.work import (  # noqa: F401
    OPEN_WORK,
    ConfirmationStatus,
    ConfirmedVia,
    DocumentType,
    Filing,
    Handover,
    HandoverLine,
    TaxConfirmation,
    TaxEstimateLine,
    WorkItem,
    WorkStatus,
    WorkStep,
)

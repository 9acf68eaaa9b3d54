"""Deterministic demo data of client development (policy 二), built on top of the demo firm.

``build_demo_leads`` is what ``manage.py seed_demo`` loads after the clients (``--prospects``,
three per client by default) and what the benchmark loads at scale. It reads the firm it finds
(the salespeople and their departments, the clients, the seeded channels and loss reasons) and
adds: marketing activities, partner institutions and the clients recommended to them,
prospects spread over the salespeople, channels and a realistic funnel, their visits (done
ones with outcomes, a few planned for the coming two weeks), negotiation rounds, referral
rewards, the duty roster, competitors with their prices and market research notes.

The same seed gives the same data (company names, codes, stages) on every run. Rows are
written with ``bulk_create`` in batches and no service is called, so everything a service would
derive is set here: the pinyin search keys (as ``prospect_create`` computes them), the scores
(``zhangfang.leads.scoring`` with the current policy weights) and the owner's department.

Signed (签约) prospects: about half of them are the origin of an existing demo client (the
prospect mirrors that client's name, code, owner, department and primary contact and is linked
to it), so the client page can show where a client came from; the others stay unlinked. No
client is created here (so none goes through ``prospect_convert``): the client count of the demo
firm stays exactly what was asked for, which ``seed_demo``'s own tests pin.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO
from zoneinfo import ZoneInfo

from django.db import models, transaction
from django.utils import timezone
from pypinyin import lazy_pinyin
from pypinyin.seg import simpleseg

from zhangfang.clients.models import Client, ClientStatus, Contact, TaxpayerType
from zhangfang.core import calendar, sample_data
from zhangfang.core.roles import Role
from zhangfang.core.search import pinyin_keys
from zhangfang.leads import scoring
from zhangfang.leads.models import (
    ActivityKind,
    Channel,
    CompanySize,
    Competitor,
    CompetitorPrice,
    DutyRoster,
    LossReason,
    MarketingActivity,
    MarketNote,
    NegotiationRound,
    Partner,
    PartnerKind,
    PartnerReferralOut,
    PaymentMethod,
    PriceUnit,
    Prospect,
    ReferralReward,
    RevenueBand,
    RewardKind,
    RewardStatus,
    Stage,
    TaxNeed,
    Visit,
    VisitStatus,
)
from zhangfang.staff.models import User

SHANGHAI = ZoneInfo("Asia/Shanghai")
BATCH_SIZE = 1000
#: Prospects per client that ``seed_demo`` builds unless told otherwise.
PROSPECTS_PER_CLIENT = 3

# ---------------------------------------------------------------------------------------------
# The mix
# ---------------------------------------------------------------------------------------------

#: How often each seeded channel brings a prospect; a channel an administrator added gets 2.
CHANNEL_WEIGHTS = {
    "website": 22,
    "wechat": 18,
    "referral": 16,
    "partner": 12,
    "exhibition": 8,
    "douyin": 6,
    "walk_in": 6,
    "weibo": 4,
    "forum": 4,
    "flyer": 4,
}
OTHER_CHANNEL_WEIGHT = 2

#: Stage by age of the prospect: new ones are mostly still leads, old ones mostly decided.
_STAGES_NEW = [(Stage.LEAD, 60), (Stage.ASSESSMENT, 30), (Stage.VISIT, 8), (Stage.NEGOTIATION, 2)]
_STAGES_RECENT = [
    (Stage.LEAD, 30),
    (Stage.ASSESSMENT, 28),
    (Stage.VISIT, 18),
    (Stage.NEGOTIATION, 10),
    (Stage.WON, 7),
    (Stage.LOST, 7),
]
_STAGES_OLD = [
    (Stage.LEAD, 24),
    (Stage.ASSESSMENT, 20),
    (Stage.VISIT, 12),
    (Stage.NEGOTIATION, 8),
    (Stage.WON, 16),
    (Stage.LOST, 20),
]
#: How far a lost prospect had got before it was lost.
_LOST_AFTER = [(Stage.LEAD, 35), (Stage.ASSESSMENT, 30), (Stage.VISIT, 20), (Stage.NEGOTIATION, 15)]
_ORDER = {Stage.LEAD: 0, Stage.ASSESSMENT: 1, Stage.VISIT: 2, Stage.NEGOTIATION: 3, Stage.WON: 4}

_SIZES = [
    (CompanySize.MICRO, 50),
    (CompanySize.SMALL, 32),
    (CompanySize.MEDIUM, 13),
    (CompanySize.LARGE, 5),
]
_REVENUE_BY_SIZE = {
    CompanySize.MICRO: [
        (RevenueBand.NONE, 15),
        (RevenueBand.UNDER_1M, 55),
        (RevenueBand.UNDER_5M, 25),
        (RevenueBand.UNDER_30M, 5),
    ],
    CompanySize.SMALL: [
        (RevenueBand.UNDER_1M, 20),
        (RevenueBand.UNDER_5M, 45),
        (RevenueBand.UNDER_30M, 30),
        (RevenueBand.OVER_30M, 5),
    ],
    CompanySize.MEDIUM: [
        (RevenueBand.UNDER_5M, 20),
        (RevenueBand.UNDER_30M, 50),
        (RevenueBand.OVER_30M, 30),
    ],
    CompanySize.LARGE: [(RevenueBand.UNDER_30M, 30), (RevenueBand.OVER_30M, 70)],
}
_GENERAL_TAXPAYER_SHARE = {
    CompanySize.MICRO: 0.1,
    CompanySize.SMALL: 0.3,
    CompanySize.MEDIUM: 0.7,
    CompanySize.LARGE: 0.95,
}
#: Each need's chance; general taxpayers ask for planning and settlement more often.
_TAX_NEED_CHANCES = [
    (TaxNeed.BOOKKEEPING, 0.85, 0.85),
    (TaxNeed.FILING, 0.7, 0.8),
    (TaxNeed.PLANNING, 0.1, 0.45),
    (TaxNeed.ANNUAL_REPORT, 0.35, 0.35),
    (TaxNeed.SETTLEMENT, 0.15, 0.5),
    (TaxNeed.SOCIAL_SECURITY, 0.25, 0.3),
    (TaxNeed.REGISTRATION, 0.12, 0.05),
    (TaxNeed.ABNORMAL, 0.05, 0.08),
]
_CONTACT_TITLES = ["总经理", "老板", "法定代表人", "创始人", "财务负责人", "出纳", "行政主管"]
_EMAIL_PREFIXES = ["info", "hr", "finance", "admin", "contact", "boss"]
_FINANCIAL_NOTES = [
    "目前由兼职会计记账，账目不够规范，希望找专业机构托管。",
    "原代账公司服务不及时，多次逾期申报，考虑更换。",
    "新成立公司，尚未建账，需要从建账开始。",
    "有较多进项发票未认证，需要梳理往来账。",
    "公司有两名财务人员，只需要纳税申报和税务咨询。",
    "去年被税务局约谈过一次，希望加强税务合规。",
    "营业收入增长较快，明年可能转为一般纳税人。",
]
_PROSPECT_NOTES = [
    "客户希望先了解收费标准再安排见面。",
    "老板经常出差，联系时间以下午为宜。",
    "对比了三家代账公司，关注服务响应速度。",
    "需要同时办理地址变更。",
    "客户更习惯微信沟通。",
]
_LOSS_NOTES = {
    "价格因素": ["报价高于客户预算约 30%。", "客户认为一般纳税人收费偏高。"],
    "选择了其他代账公司": ["选择了报价更低的线上代账平台。", "老板的朋友开了代账公司。"],
    "暂无需求": ["公司业务暂停，暂不需要记账。", "客户决定明年再考虑。"],
    "联系不上": ["电话多次未接，微信未回复。"],
    "自行记账": ["客户新招了一名全职会计。"],
    "其他": ["公司准备注销。"],
}
_VISIT_PURPOSES = [
    "初次拜访，了解企业经营和财务状况",
    "介绍代理记账服务方案",
    "现场了解账务现状，评估建账工作量",
    "与老板和财务负责人沟通服务细节",
    "送达服务方案和报价单",
]
_VISIT_OUTCOMES = [
    "客户对服务流程认可，希望看到详细报价。",
    "已了解客户账务情况，历史账需要整理约三个月。",
    "老板有合作意向，财务负责人担心交接工作量。",
    "客户关注报税及时性和税务风险提示，已介绍我们的服务承诺。",
    "客户目前合同未到期，约定到期前再联系。",
    "双方就服务内容基本达成一致，待报价确认。",
]
_NEXT_STEPS = ["发送服务方案和报价单", "安排会计上门评估账务", "约老板面谈", "准备合同样本"]
_MATERIALS = ["公司介绍", "服务方案", "成功案例", "报价单", "合同样本"]
_CONCERNS = [
    "担心报价高于现有代账公司。",
    "希望每月固定时间提供财务报表。",
    "担心历史账务问题被税务局追查。",
    "希望有专人对接，响应及时。",
    "关注发票管理和进项抵扣。",
    "希望先试用三个月再签长期合同。",
]
_AGREED_POINTS = [
    "每月 10 日前提供上月财务报表。",
    "指定一名主办会计对接。",
    "首月免费整理历史账务。",
    "按季付款，首期在签约时支付。",
    "工商年报包含在服务内。",
]
_PAYMENT_METHODS = [
    (PaymentMethod.MONTHLY, 20),
    (PaymentMethod.QUARTERLY, 40),
    (PaymentMethod.YEARLY, 35),
    (PaymentMethod.ONCE, 5),
]
_REWARD_STATUSES = [
    (RewardStatus.PROPOSED, 25),
    (RewardStatus.APPROVED, 25),
    (RewardStatus.PAID, 40),
    (RewardStatus.REJECTED, 10),
]

#: (name, kind, channel code, days ago it started, days it lasted, cost in 元).
ACTIVITIES = [
    ("深圳中小企业服务博览会", ActivityKind.EXHIBITION, "exhibition", 330, 3, "38000.00"),
    ("广州创业者财税峰会展位", ActivityKind.EXHIBITION, "exhibition", 250, 2, "26500.00"),
    ("金税四期下的企业税务合规研讨会", ActivityKind.SEMINAR, "exhibition", 200, 1, "8800.00"),
    ("小规模纳税人增值税优惠政策解读会", ActivityKind.SEMINAR, "exhibition", 120, 1, "5200.00"),
    ("个税汇算清缴专场交流会", ActivityKind.SEMINAR, "exhibition", 40, 1, "4600.00"),
    ("微信公众号“财税小课堂”推广", ActivityKind.ONLINE, "wechat", 300, 60, "12000.00"),
    ("抖音短视频“老板必知的税”投放", ActivityKind.ONLINE, "douyin", 150, 45, "30000.00"),
    ("微博话题“创业第一本账”推广", ActivityKind.ONLINE, "weibo", 90, 30, "6000.00"),
    ("产业园区宣传资料派发", ActivityKind.FLYER, "flyer", 180, 14, "3500.00"),
    ("官网搜索引擎推广", ActivityKind.ONLINE, "website", 60, 60, "18000.00"),
]
#: (name, kind, address city, what we recommend our clients to them for).
PARTNERS = [
    ("深圳市易企工商注册代理有限公司", PartnerKind.REGISTRATION_AGENT, "深圳", "办理工商变更登记"),
    ("广州市捷通企业登记代理有限公司", PartnerKind.REGISTRATION_AGENT, "广州", "办理分公司设立"),
    ("深圳正和税务师事务所有限公司", PartnerKind.TAX_FIRM, "深圳", "企业所得税汇算清缴鉴证"),
    ("上海德信税务师事务所有限公司", PartnerKind.TAX_FIRM, "上海", "土地增值税清算咨询"),
    ("广东衡泰律师事务所", PartnerKind.LAW_FIRM, "广州", "劳动争议咨询"),
    ("北京金诚律师事务所", PartnerKind.LAW_FIRM, "北京", "合同纠纷处理"),
]
#: (name, services, strengths, weaknesses, source, days ago, prices (item, amount, unit)).
COMPETITORS = [
    (
        "快账通财税",
        "线上代理记账、工商注册、发票代开",
        "价格低，App 操作方便，全国统一报价。",
        "会计一人对接上百家客户，响应慢，账务差错多。",
        "官网报价及客户反馈",
        45,
        [
            ("小规模纳税人代理记账", "199.00", PriceUnit.MONTH),
            ("一般纳税人代理记账", "499.00", PriceUnit.MONTH),
            ("工商年报", "100.00", PriceUnit.ONCE),
        ],
    ),
    (
        "诚信代账连锁",
        "代理记账、纳税申报、社保代缴",
        "门店多，老板熟人介绍多。",
        "服务标准不统一，税务筹划能力弱。",
        "行业交流会",
        80,
        [
            ("小规模纳税人代理记账", "300.00", PriceUnit.MONTH),
            ("一般纳税人代理记账", "800.00", PriceUnit.MONTH),
            ("社保公积金代缴", "50.00", PriceUnit.MONTH),
        ],
    ),
    (
        "金算盘财务咨询",
        "代理记账、税务筹划、审计",
        "有注册会计师团队，擅长中型企业。",
        "收费较高，不接小微客户。",
        "潜在客户提供的报价单",
        120,
        [
            ("一般纳税人代理记账", "1200.00", PriceUnit.MONTH),
            ("企业所得税汇算清缴", "3000.00", PriceUnit.YEAR),
            ("税务筹划方案", "8000.00", PriceUnit.ONCE),
            ("审计报告", "5000.00", PriceUnit.ONCE),
        ],
    ),
    (
        "慧记账在线",
        "智能记账软件加人工复核",
        "年付价格优惠，系统自动出报表。",
        "不提供上门服务，复杂业务处理不了。",
        "网络公开信息",
        30,
        [
            ("小规模纳税人代理记账", "2400.00", PriceUnit.YEAR),
            ("一般纳税人代理记账", "6000.00", PriceUnit.YEAR),
        ],
    ),
    (
        "张会计个人工作室",
        "兼职代账",
        "价格最低，熟人关系。",
        "无资质，人员单一，无法保证连续服务。",
        "客户访谈",
        200,
        [
            ("小规模纳税人代理记账", "150.00", PriceUnit.MONTH),
            ("工商年报", "80.00", PriceUnit.ONCE),
            ("税务异常解除", "500.00", PriceUnit.ONCE),
        ],
    ),
]
#: (title, body, days ago).
MARKET_NOTES = [
    (
        "小规模纳税人增值税优惠政策延续",
        "增值税小规模纳税人适用 3% 征收率的应税销售收入减按 1% 征收的政策延续执行。"
        "小微客户对“政策解读 + 申报”打包服务的兴趣明显上升，可在研讨会上重点介绍。",
        20,
    ),
    (
        "金税四期后客户更重视税务合规",
        "近期拜访的客户中，超过一半提到担心公私账户混用、发票不规范被预警。"
        "税务风险体检可以作为获客切入点。",
        75,
    ),
    (
        "线上代账平台低价竞争加剧",
        "多家线上平台把小规模记账报价降到 199 元/月以下。我们的优势在上门服务和专人对接，"
        "报价时应突出服务质量而非单纯比价。",
        140,
    ),
    (
        "新设企业数量回升，注册加记账打包需求增加",
        "工商注册代理机构反馈新设企业数量同比回升，“注册 + 首年记账”打包需求增加，"
        "可与合作机构加强互相推荐。",
        260,
    ),
]

# ---------------------------------------------------------------------------------------------
# Reading the firm
# ---------------------------------------------------------------------------------------------


@dataclass
class _Firm:
    sales: list[User]
    sales_by_department: dict[int | None, list[User]]
    heads_by_department: dict[int | None, list[User]]
    admin: User | None
    channels: list[Channel]
    loss_reasons: list[LossReason]
    clients: list[dict]
    sales_ids: set[int] = field(default_factory=set)


def _read_firm() -> _Firm:
    sales = list(
        User.objects.filter(is_active=True, groups__name=Role.SALES).distinct().order_by("id")
    )
    heads = list(
        User.objects.filter(is_active=True, groups__name=Role.DEPARTMENT_HEAD)
        .distinct()
        .order_by("id")
    )
    by_department: dict[int | None, list[User]] = {}
    for user in sales:
        by_department.setdefault(user.department_id, []).append(user)
    heads_by_department: dict[int | None, list[User]] = {}
    for user in heads:
        heads_by_department.setdefault(user.department_id, []).append(user)
    admin = User.objects.filter(is_active=True, groups__name=Role.ADMIN).order_by("id").first()
    clients = list(
        Client.objects.filter(status=ClientStatus.ACTIVE)
        .order_by("id")
        .values(
            "id",
            "name",
            "uscc",
            "industry",
            "taxpayer_type",
            "address",
            "sales_owner_id",
            "department_id",
        )
    )
    return _Firm(
        sales=sales,
        sales_by_department=by_department,
        heads_by_department=heads_by_department,
        admin=admin,
        channels=list(Channel.objects.filter(is_active=True).order_by("sort_order", "id")),
        loss_reasons=list(LossReason.objects.filter(is_active=True).order_by("sort_order", "id")),
        clients=clients,
        sales_ids={user.id for user in sales},
    )


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _weighted(rng: random.Random, pairs: list[tuple]) -> object:
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights)[0]


def _say(stdout: IO[str] | None, message: str) -> None:
    if stdout is not None:
        stdout.write(message + "\n")


@contextmanager
def _given_timestamps(*model_classes: type[models.Model]) -> Iterator[None]:
    """Let ``bulk_create`` keep the creation times set here (a year of history, not "now").

    ``auto_now_add`` fields overwrite any value on insert; the demo switches that off for the
    duration of the build and restores it afterwards, even on error.
    """
    switched = []
    for model_class in model_classes:
        for model_field in model_class._meta.concrete_fields:
            if getattr(model_field, "auto_now_add", False):
                model_field.auto_now_add = False
                switched.append(model_field)
    try:
        yield
    finally:
        for model_field in switched:
            model_field.auto_now_add = True


class _Clock:
    """Local (Asia/Shanghai) times of the demo, relative to the moment of the build."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self.today = now.astimezone(SHANGHAI).date()
        self._working: dict[dt.date, bool] = {}

    def at(self, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)

    def working_day(self, day: dt.date) -> bool:
        if day not in self._working:
            self._working[day] = calendar.is_working_day(day)
        return self._working[day]

    def previous_working_day(self, day: dt.date) -> dt.date:
        while not self.working_day(day):
            day -= dt.timedelta(days=1)
        return day

    def next_working_day(self, day: dt.date) -> dt.date:
        while not self.working_day(day):
            day += dt.timedelta(days=1)
        return day

    def office_time(self, rng: random.Random, day: dt.date) -> dt.datetime:
        """A time between 9:00 and 17:30 on ``day``, never after now."""
        moment = self.at(day, rng.randint(9, 17), rng.choice((0, 15, 30, 45)))
        return min(moment, self.now - dt.timedelta(minutes=rng.randint(5, 90)))

    def between(self, rng: random.Random, start: dt.datetime, end: dt.datetime) -> dt.datetime:
        if end <= start:
            return start
        return start + (end - start) * rng.random()


_HAN_ONLY = re.compile(r"^[\u4e00-\u9fff]+$")
_NOT_WORD = re.compile(r"[^0-9a-z]+")
_WORD_SYLLABLES: dict[str, list[str]] = {}


def _syllables(text: str) -> list[str]:
    """``lazy_pinyin(text)``, converting each word of pypinyin's own segmentation only once.

    pypinyin segments a text into words and converts each word on its own, so the syllables of
    a text are those of its words in order; demo names share most words (深圳市, 科技, 有限公司).
    """
    syllables: list[str] = []
    for word in simpleseg.seg(text):
        if word not in _WORD_SYLLABLES:
            _WORD_SYLLABLES[word] = lazy_pinyin(word)
        syllables.extend(_WORD_SYLLABLES[word])
    return syllables


def _pinyin_keys(*texts: str) -> str:
    """Exactly ``core.search.pinyin_keys(*texts)``, several times faster for Chinese-only texts.

    ``pinyin_keys`` converts each text twice (full pinyin, then initials); for a text of Chinese
    characters only, the initials are the first letters of the same syllables, so one conversion
    does, and that one reuses the words already converted. Anything else goes to
    ``pinyin_keys`` itself. The tests check that both agree on every demo prospect.
    """
    keys: list[str] = []
    for text in texts:
        if not text:
            continue
        if _HAN_ONLY.match(text):
            syllables = _syllables(text)
            full = _NOT_WORD.sub("", "".join(syllables).lower())
            initials = _NOT_WORD.sub("", "".join(s[:1] for s in syllables).lower())
            found = [full, initials]
        else:
            found = pinyin_keys(text).split()
        for key in found:
            if key and key not in keys:
                keys.append(key)
    return " ".join(keys)


def _tax_needs(rng: random.Random, general: bool) -> list[str]:
    needs = [
        code for code, small, big in _TAX_NEED_CHANCES if rng.random() < (big if general else small)
    ]
    return needs or [TaxNeed.BOOKKEEPING.value]


def _fee(rng: random.Random, size: str, general: bool) -> Decimal:
    low, high = (500, 1500) if general else (200, 600)
    bump = {CompanySize.MEDIUM: 300, CompanySize.LARGE: 600}.get(size, 0)
    amount = max(200, min(2000, rng.randint(low, high) + bump))
    return Decimal(amount // 50 * 50).quantize(Decimal("0.01"))


# ---------------------------------------------------------------------------------------------
# The build
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def build_demo_leads(
    *, prospects: int, seed: int = 2026, stdout: IO[str] | None = None
) -> dict[str, int | float]:
    """Write the client-development demo data of the firm in the database; return the counts.

    Needs the demo firm (salespeople in the ``sales`` group; clients for referrals). Calling it
    twice adds a second set of prospects: ``seed_demo`` calls it only on an empty installation.
    """
    started = time.perf_counter()
    counts: Counter[str] = Counter()
    if prospects <= 0:
        return {"prospects": 0, "seconds": 0.0}
    rng = random.Random(f"zhangfang-leads-{seed}")
    firm = _read_firm()
    if not firm.sales or not firm.channels:
        _say(stdout, "没有业务人员或获客渠道，未创建客户开发演示数据。")
        return {"prospects": 0, "seconds": 0.0}
    clock = _Clock(timezone.now())

    with _given_timestamps(
        Prospect, Visit, NegotiationRound, ReferralReward, MarketNote, Competitor
    ):
        activity_rows, activities = _build_activities(rng, firm, clock)
        partners = _build_partners(rng, firm, clock, counts)
        planned = _plan_prospects(rng, firm, clock, activities, partners, prospects)
        _write_prospects(planned, counts)
        _build_duty_roster(firm, counts)
        _build_research(rng, firm, clock, counts)

    counts["activities"] = len(activity_rows)
    counts["partners"] = len(partners)
    seconds = time.perf_counter() - started
    stages = Counter(p.prospect.stage for p in planned)
    _say(
        stdout,
        f"客户开发演示数据已创建：{len(planned)} 个潜在客户"
        f"（签约 {stages[Stage.WON]}、流失 {stages[Stage.LOST]}，"
        f"其中 {counts['linked_clients']} 个关联已有客户）、"
        f"拜访 {counts['visits']} 次（计划中 {counts['planned_visits']}）、"
        f"洽谈 {counts['negotiations']} 轮、市场活动 {len(activity_rows)} 个、"
        f"合作机构 {len(partners)} 家、推荐奖励 {counts['rewards']} 条、"
        f"竞争对手 {counts['competitors']} 家，用时 {seconds:.1f} 秒。",
    )
    result: dict[str, int | float] = dict(counts)
    result["prospects"] = len(planned)
    result.update({f"stage_{stage}": stages[stage] for stage in Stage.values})
    result["seconds"] = round(seconds, 2)
    return result


def _build_activities(
    rng: random.Random, firm: _Firm, clock: _Clock
) -> tuple[list[MarketingActivity], dict[str, list[MarketingActivity]]]:
    """The marketing activities of the year, and the same by the code of their channel."""
    channels = {channel.code: channel for channel in firm.channels}
    rows = []
    for name, kind, code, days_ago, days, cost in ACTIVITIES:
        starts_on = clock.today - dt.timedelta(days=days_ago)
        rows.append(
            MarketingActivity(
                name=name,
                kind=kind,
                channel=channels.get(code),
                starts_on=starts_on,
                ends_on=starts_on + dt.timedelta(days=days - 1),
                cost=Decimal(cost),
                owner=rng.choice(firm.sales),
                notes="",
            )
        )
    MarketingActivity.objects.bulk_create(rows)
    by_channel: dict[str, list[MarketingActivity]] = {}
    for activity, (_name, _kind, code, *_rest) in zip(rows, ACTIVITIES, strict=True):
        if activity.channel_id is not None:
            by_channel.setdefault(code, []).append(activity)
    return rows, by_channel


def _build_partners(
    rng: random.Random, firm: _Firm, clock: _Clock, counts: Counter[str]
) -> list[Partner]:
    """Six partner institutions (new ones only) and clients we recommended to them."""
    existing = Partner.objects.in_bulk([row[0] for row in PARTNERS], field_name="name")
    new = []
    for index, (name, kind, city, _for) in enumerate(PARTNERS, start=1):
        if name in existing:
            continue
        new.append(
            Partner(
                name=name,
                kind=kind,
                contact_name=sample_data.person_name(rng),
                contact_mobile=sample_data.mobile(rng),
                email=f"partner{index}@example.com",
                address=sample_data.address(rng, city),
                notes="互相推荐客户，按季度对账。",
            )
        )
    Partner.objects.bulk_create(new)
    partners = [
        existing.get(name) or next(p for p in new if p.name == name) for name, *_ in PARTNERS
    ]
    if firm.clients:
        referrals = []
        count = min(len(firm.clients), max(6, len(firm.clients) // 50))
        for client in rng.sample(firm.clients, count):
            index = rng.randrange(len(partners))
            referrals.append(
                PartnerReferralOut(
                    partner=partners[index],
                    client_id=client["id"],
                    referred_on=clock.today - dt.timedelta(days=rng.randint(3, 330)),
                    notes=f"客户需要{PARTNERS[index][3]}。",
                    recorded_by=_owner_of_client(rng, firm, client),
                )
            )
        PartnerReferralOut.objects.bulk_create(referrals, batch_size=BATCH_SIZE)
        counts["partner_referrals_out"] = len(referrals)
    return partners


def _owner_of_client(rng: random.Random, firm: _Firm, client: dict) -> User:
    owner_id = client["sales_owner_id"]
    if owner_id in firm.sales_ids:
        return next(user for user in firm.sales if user.id == owner_id)
    return rng.choice(firm.sales)


@dataclass
class _Planned:
    prospect: Prospect
    reached: str
    visits: list[Visit] = field(default_factory=list)
    visit_staff: list[list[User]] = field(default_factory=list)
    rounds: list[NegotiationRound] = field(default_factory=list)
    reward: ReferralReward | None = None


def _plan_prospects(
    rng: random.Random,
    firm: _Firm,
    clock: _Clock,
    activities: dict[str, list[MarketingActivity]],
    partners: list[Partner],
    count: int,
) -> list[_Planned]:
    channel_pairs = [(c, CHANNEL_WEIGHTS.get(c.code, OTHER_CHANNEL_WEIGHT)) for c in firm.channels]
    users_by_id = {user.id: user for user in firm.sales}
    taken_names = {client["name"] for client in firm.clients}
    taken_codes = set(Client.objects.exclude(uscc=None).values_list("uscc", flat=True))
    # Existing clients that a signed prospect may be the origin of (never the Huawei demo, and
    # never one that already has a prospect).
    linkable = [
        client
        for client in firm.clients
        if client["name"] != "华为技术有限公司" and client["sales_owner_id"] in firm.sales_ids
    ]
    linked_ids = set(
        Prospect.objects.filter(client__isnull=False).values_list("client_id", flat=True)
    )
    linkable = [client for client in linkable if client["id"] not in linked_ids]
    rng.shuffle(linkable)
    primary_contacts = {}
    if linkable:
        for row in Contact.objects.filter(is_primary=True).values(
            "client_id", "name", "title", "mobile"
        ):
            primary_contacts[row["client_id"]] = row
    weights = scoring.Weights.current()
    recent_since = clock.now - dt.timedelta(days=weights.activity_days)

    planned: list[_Planned] = []
    for _ in range(count):
        channel = _weighted(rng, channel_pairs)
        activity = None
        candidates = activities.get(channel.code, [])
        if candidates and rng.random() < 0.6:
            activity = rng.choice(candidates)
        # Registered over the last year, a little more often lately (the firm is growing).
        if activity is not None:
            day = activity.starts_on + dt.timedelta(days=int(rng.random() ** 2 * 30))
            day = min(day, clock.today)
        else:
            day = clock.today - dt.timedelta(days=int(365 * rng.random() ** 1.2))
        created_at = clock.office_time(rng, day)
        age = (clock.now - created_at).days
        stage = _weighted(
            rng, _STAGES_NEW if age < 14 else _STAGES_RECENT if age < 60 else _STAGES_OLD
        )
        reached = _weighted(rng, _LOST_AFTER) if stage == Stage.LOST else stage

        # Who: a referral goes to the referrer's salesperson; anything else to anyone in sales.
        referrer = None
        owner = rng.choice(firm.sales)
        if channel.code == Channel.REFERRAL and firm.clients:
            referrer = rng.choice(firm.clients)
            owner = users_by_id.get(referrer["sales_owner_id"], owner)
        partner = rng.choice(partners) if channel.code == Channel.PARTNER else None

        link = None
        if stage == Stage.WON and linkable and rng.random() < 0.5:
            link = linkable.pop()
            if referrer is not None and referrer["id"] == link["id"]:
                referrer = None

        prospect = _plan_one(rng, clock, link, taken_names, taken_codes, reached)
        prospect.channel = channel
        prospect.activity = activity
        prospect.partner = partner
        prospect.referrer_id = referrer["id"] if referrer else None
        if link is not None:
            owner = users_by_id[link["sales_owner_id"]]
            contact = primary_contacts.get(link["id"])
            if contact:
                prospect.contact_name = contact["name"]
                prospect.contact_title = contact["title"]
                prospect.contact_mobile = contact["mobile"]
            prospect.client_id = link["id"]
        prospect.owner = owner
        prospect.department_id = owner.department_id
        prospect.stage = stage
        prospect.created_at = created_at
        if stage == Stage.LOST:
            reason = rng.choice(firm.loss_reasons) if firm.loss_reasons else None
            prospect.loss_reason = reason
            notes = _LOSS_NOTES.get(reason.name if reason else "", [])
            prospect.loss_note = rng.choice(notes) if notes and rng.random() < 0.7 else ""
        entry = _Planned(prospect=prospect, reached=reached)
        _plan_pipeline(rng, firm, clock, entry)
        if link is not None:
            prospect.converted_at = prospect.stage_changed_at
        if referrer is not None and stage == Stage.WON:
            entry.reward = _plan_reward(rng, firm, clock, prospect, referrer["id"])

        prospect.search_pinyin = _pinyin_keys(prospect.company_name, prospect.contact_name)
        recent = sum(
            1
            for visit in entry.visits
            if visit.status == VisitStatus.DONE and visit.starts_at >= recent_since
        ) + sum(
            1
            for round_ in entry.rounds
            if round_.held_on >= recent_since.astimezone(SHANGHAI).date()
        )
        scores = scoring.score(
            prospect, weights, channel_code=channel.code, recent_activities=recent
        )
        prospect.value_score = scores.value
        prospect.likelihood_score = scores.likelihood
        prospect.score = scores.overall
        planned.append(entry)
    return planned


def _plan_one(
    rng: random.Random,
    clock: _Clock,
    link: dict | None,
    taken_names: set[str],
    taken_codes: set[str],
    reached: str,
) -> Prospect:
    """The 登记表 of one prospect: a new company, or the existing client it became."""
    if link is not None:
        name, industry, area = link["name"], link["industry"], ""
        code = link["uscc"] or ""
    else:
        name, _short, industry, area = sample_data.company(rng)
        while name in taken_names:
            name, _short, industry, area = sample_data.company(rng)
        taken_names.add(name)
        code = ""
        if rng.random() < 0.4:
            code = sample_data.uscc(rng, area)
            while code in taken_codes:
                code = sample_data.uscc(rng, area)
            taken_codes.add(code)
    # Early leads are often registered with what one phone call tells.
    known = _ORDER.get(reached, 0) >= 1 or rng.random() < 0.6
    size = _weighted(rng, _SIZES) if known else ""
    revenue = _weighted(rng, _REVENUE_BY_SIZE[size]) if size and rng.random() < 0.9 else ""
    general = rng.random() < _GENERAL_TAXPAYER_SHARE.get(size, 0.2)
    if link is not None:
        general = link["taxpayer_type"] == TaxpayerType.GENERAL
    taxpayer_type = (
        (TaxpayerType.GENERAL if general else TaxpayerType.SMALL)
        if known or link is not None
        else ""
    )
    city = sample_data.city_of(area) if area else None
    address = ""
    if link is not None:
        address = link["address"]
    elif city and (_ORDER.get(reached, 0) >= 2 or rng.random() < 0.6):
        address = sample_data.address(rng, city)
    email = ""
    if rng.random() < 0.35:
        email = f"{rng.choice(_EMAIL_PREFIXES)}{rng.randint(1, 999)}@example.com"
    return Prospect(
        company_name=name,
        uscc=code,
        contact_name=sample_data.person_name(rng),
        contact_title=rng.choice(_CONTACT_TITLES) if rng.random() < 0.7 else "",
        contact_mobile=sample_data.mobile(rng),
        email=email,
        address=address,
        industry=industry,
        size=size,
        revenue=revenue,
        taxpayer_type=taxpayer_type,
        financial_notes=rng.choice(_FINANCIAL_NOTES) if rng.random() < 0.3 else "",
        tax_needs=_tax_needs(rng, general),
        expected_monthly_fee=_fee(rng, size, general) if known or rng.random() < 0.5 else None,
        notes=rng.choice(_PROSPECT_NOTES) if rng.random() < 0.2 else "",
    )


def _plan_pipeline(rng: random.Random, firm: _Firm, clock: _Clock, entry: _Planned) -> None:
    """The stage's date, and the visits and negotiation rounds that got the prospect there."""
    prospect = entry.prospect
    created = prospect.created_at
    if prospect.stage == Stage.LEAD:
        prospect.stage_changed_at = created
        return
    # Closed prospects closed some time ago; open ones moved to their stage some time since.
    share = rng.uniform(0.3, 0.95)
    moment = clock.between(rng, created, created + (clock.now - created) * share)
    day = clock.previous_working_day(moment.astimezone(SHANGHAI).date())
    prospect.stage_changed_at = max(created, clock.office_time(rng, day))
    level = _ORDER[entry.reached]
    if level < _ORDER[Stage.VISIT]:
        return
    closed = prospect.stage in (Stage.WON, Stage.LOST)
    end = prospect.stage_changed_at if closed else clock.now
    colleagues = [
        user
        for user in firm.sales_by_department.get(prospect.owner.department_id, [])
        if user.id != prospect.owner.id
    ] + firm.heads_by_department.get(prospect.owner.department_id, [])
    place = prospect.address or "客户办公室"

    # Done visits: one or two between registration and the end of the story so far.
    last = created
    for _ in range(1 if rng.random() < 0.65 else 2):
        day = clock.previous_working_day(
            clock.between(rng, last, last + (end - last) * 0.6).astimezone(SHANGHAI).date()
        )
        # Never before the previous step, never after the end of the story (or now).
        starts_at = max(last, min(clock.office_time(rng, day), end))
        visit = Visit(
            prospect=prospect,
            purpose=rng.choice(_VISIT_PURPOSES),
            starts_at=starts_at,
            place=place,
            materials=[
                {"item": item, "done": True} for item in rng.sample(_MATERIALS, rng.randint(2, 4))
            ],
            status=VisitStatus.DONE,
            outcome=rng.choice(_VISIT_OUTCOMES),
            next_step=rng.choice(_NEXT_STEPS),
            next_step_on=(starts_at + dt.timedelta(days=rng.randint(2, 10)))
            .astimezone(SHANGHAI)
            .date(),
            created_by=prospect.owner,
            created_at=max(created, starts_at - dt.timedelta(days=rng.randint(1, 5))),
        )
        entry.visits.append(visit)
        entry.visit_staff.append(_visit_staff(rng, prospect.owner, colleagues))
        last = starts_at
    if rng.random() < 0.06:
        starts_at = clock.between(rng, created, last)
        entry.visits.append(
            Visit(
                prospect=prospect,
                purpose=rng.choice(_VISIT_PURPOSES),
                starts_at=starts_at,
                place=place,
                materials=[{"item": item, "done": False} for item in _MATERIALS[:3]],
                status=VisitStatus.CANCELLED,
                outcome="客户临时有事，改期。",
                created_by=prospect.owner,
                created_at=max(created, starts_at - dt.timedelta(days=2)),
            )
        )
        entry.visit_staff.append([prospect.owner])

    if level >= _ORDER[Stage.NEGOTIATION]:
        fee = prospect.expected_monthly_fee or Decimal("500.00")
        start_day = last.astimezone(SHANGHAI).date()
        end_day = end.astimezone(SHANGHAI).date()
        services = list(prospect.tax_needs) or [TaxNeed.BOOKKEEPING.value]
        method = _weighted(rng, _PAYMENT_METHODS)
        term = rng.choice((12, 12, 12, 24, 6))
        rounds = rng.choice((1, 1, 2, 2, 3))
        for index in range(rounds):
            offset = (end_day - start_day).days
            held_on = start_day + dt.timedelta(days=round(offset * (index + 1) / (rounds + 1)))
            proposed = max(Decimal("200.00"), fee * (Decimal("1.2") - Decimal("0.1") * index))
            entry.rounds.append(
                NegotiationRound(
                    prospect=prospect,
                    held_on=held_on,
                    services=services,
                    proposed_fee=(proposed // 10 * 10).quantize(Decimal("0.01")),
                    payment_method=method,
                    term_months=term,
                    concerns=rng.choice(_CONCERNS),
                    agreed_points="" if index == 0 else rng.choice(_AGREED_POINTS),
                    recorded_by=prospect.owner,
                    created_at=min(clock.at(held_on, 18), clock.now),
                )
            )

    # An open prospect entered its stage with its first visit, or its first negotiation round.
    done = [visit for visit in entry.visits if visit.status == VisitStatus.DONE]
    if prospect.stage == Stage.VISIT and done:
        prospect.stage_changed_at = done[0].starts_at
    elif prospect.stage == Stage.NEGOTIATION and entry.rounds:
        first_round = clock.at(entry.rounds[0].held_on, 17, 30)
        prospect.stage_changed_at = max(created, min(first_round, clock.now))

    # A few open prospects have their next visit planned in the coming two weeks.
    if prospect.stage in (Stage.VISIT, Stage.NEGOTIATION) and rng.random() < 0.12:
        day = clock.next_working_day(clock.today + dt.timedelta(days=rng.randint(1, 14)))
        entry.visits.append(
            Visit(
                prospect=prospect,
                purpose=rng.choice(_VISIT_PURPOSES),
                starts_at=clock.at(day, rng.randint(9, 16), rng.choice((0, 30))),
                place=place,
                materials=[
                    {"item": item, "done": rng.random() < 0.4}
                    for item in rng.sample(_MATERIALS, rng.randint(2, 5))
                ],
                status=VisitStatus.PLANNED,
                created_by=prospect.owner,
                created_at=clock.now - dt.timedelta(hours=rng.randint(1, 72)),
            )
        )
        entry.visit_staff.append(_visit_staff(rng, prospect.owner, colleagues))


def _visit_staff(rng: random.Random, owner: User, colleagues: list[User]) -> list[User]:
    if colleagues and rng.random() < 0.3:
        return [owner, rng.choice(colleagues)]
    return [owner]


def _plan_reward(
    rng: random.Random, firm: _Firm, clock: _Clock, prospect: Prospect, referrer_id: int
) -> ReferralReward:
    kind = _weighted(
        rng, [(RewardKind.CASH, 70), (RewardKind.DISCOUNT, 15), (RewardKind.FREE_MONTHS, 15)]
    )
    status = _weighted(rng, _REWARD_STATUSES)
    proposed_at = prospect.stage_changed_at + dt.timedelta(minutes=rng.randint(1, 30))
    heads = firm.heads_by_department.get(prospect.department_id) or []
    decider = heads[0] if heads else firm.admin
    decided_at = paid_at = None
    if status != RewardStatus.PROPOSED:
        decided_at = min(proposed_at + dt.timedelta(days=rng.randint(1, 5)), clock.now)
    if status == RewardStatus.PAID:
        paid_at = min(decided_at + dt.timedelta(days=rng.randint(3, 15)), clock.now)
    notes = {
        RewardStatus.REJECTED: "推荐客户欠费未结清，暂不发放。",
        RewardStatus.PAID: "已随当月服务费结算。",
    }.get(status, "")
    return ReferralReward(
        referrer_id=referrer_id,
        prospect=prospect,
        kind=kind,
        cash_amount=Decimal("500.00") if kind == RewardKind.CASH else None,
        discount_percent=Decimal("10.00") if kind == RewardKind.DISCOUNT else None,
        free_months=1 if kind == RewardKind.FREE_MONTHS else None,
        status=status,
        proposed_at=proposed_at,
        decided_by=decider if status != RewardStatus.PROPOSED else None,
        decided_at=decided_at,
        paid_at=paid_at,
        notes=notes,
    )


def _write_prospects(planned: list[_Planned], counts: Counter[str]) -> None:
    for start in range(0, len(planned), BATCH_SIZE):
        batch = planned[start : start + BATCH_SIZE]
        # The children were planned against unsaved prospects: give them the ids once saved.
        Prospect.objects.bulk_create([entry.prospect for entry in batch])
        visits, staff, rounds, rewards = [], [], [], []
        for entry in batch:
            for visit, members in zip(entry.visits, entry.visit_staff, strict=True):
                visit.prospect = entry.prospect
                visits.append(visit)
                staff.append(members)
            for round_ in entry.rounds:
                round_.prospect = entry.prospect
                rounds.append(round_)
            if entry.reward is not None:
                entry.reward.prospect = entry.prospect
                rewards.append(entry.reward)
        Visit.objects.bulk_create(visits)
        through = Visit.staff.through
        Visit.staff.through.objects.bulk_create(
            [
                through(visit_id=visit.id, user_id=member.id)
                for visit, members in zip(visits, staff, strict=True)
                for member in members
            ],
            batch_size=BATCH_SIZE,
        )
        NegotiationRound.objects.bulk_create(rounds)
        ReferralReward.objects.bulk_create(rewards)
        counts["visits"] += len(visits)
        counts["planned_visits"] += sum(v.status == VisitStatus.PLANNED for v in visits)
        counts["negotiations"] += len(rounds)
        counts["rewards"] += len(rewards)
        counts["linked_clients"] += sum(entry.prospect.client_id is not None for entry in batch)
        counts["referred_prospects"] += sum(
            entry.prospect.referrer_id is not None for entry in batch
        )


def _build_duty_roster(firm: _Firm, counts: Counter[str]) -> None:
    """Monday to Friday, the salespeople in turn (weekdays already set are kept)."""
    taken = set(DutyRoster.objects.values_list("weekday", flat=True))
    rows = [
        DutyRoster(weekday=weekday, user=firm.sales[weekday % len(firm.sales)])
        for weekday in range(5)
        if weekday not in taken
    ]
    DutyRoster.objects.bulk_create(rows)
    counts["duty_roster"] = len(rows)


def _build_research(rng: random.Random, firm: _Firm, clock: _Clock, counts: Counter[str]) -> None:
    """Five competitors with their price lists and four market research notes (new ones only)."""
    existing = set(
        Competitor.objects.filter(name__in=[row[0] for row in COMPETITORS]).values_list(
            "name", flat=True
        )
    )
    competitors, prices = [], []
    for name, services, strengths, weaknesses, source, days_ago, items in COMPETITORS:
        if name in existing:
            continue
        observed_on = clock.today - dt.timedelta(days=days_ago)
        competitor = Competitor(
            name=name,
            services=services,
            strengths=strengths,
            weaknesses=weaknesses,
            source=source,
            observed_on=observed_on,
            created_at=clock.at(observed_on, 17),
        )
        competitors.append(competitor)
        prices.extend(
            CompetitorPrice(competitor=competitor, item=item, amount=Decimal(amount), unit=unit)
            for item, amount, unit in items
        )
    Competitor.objects.bulk_create(competitors)
    CompetitorPrice.objects.bulk_create(prices)
    counts["competitors"] = len(competitors)
    counts["competitor_prices"] = len(prices)

    authors = firm.sales + [head for heads in firm.heads_by_department.values() for head in heads]
    titles = set(
        MarketNote.objects.filter(title__in=[row[0] for row in MARKET_NOTES]).values_list(
            "title", flat=True
        )
    )
    notes = []
    for title, body, days_ago in MARKET_NOTES:
        if title in titles:
            continue
        observed_on = clock.today - dt.timedelta(days=days_ago)
        notes.append(
            MarketNote(
                title=title,
                body=body,
                observed_on=observed_on,
                author=rng.choice(authors),
                created_at=clock.at(observed_on, 18),
            )
        )
    MarketNote.objects.bulk_create(notes)
    counts["market_notes"] = len(notes)

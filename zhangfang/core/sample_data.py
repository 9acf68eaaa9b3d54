"""Deterministic generators of realistic Chinese sample data, for demo firms, tests and benchmarks.

Every identifier produced here passes the national check algorithms (``core.validators``), because
many public "sample" codes do not.
"""

from __future__ import annotations

import datetime as dt
import random

from zhangfang.core.validators import resident_id_check_char, uscc_check_char

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华飞鹏辉玲婷建国志红丹萍宇浩"
    "然子轩梓涵一诺欣怡思远俊杰晓东海燕春梅文博雨桐嘉怡"
)
CITIES = [
    ("深圳", "440300"),
    ("广州", "440100"),
    ("上海", "310000"),
    ("北京", "110000"),
    ("杭州", "330100"),
    ("成都", "510100"),
    ("武汉", "420100"),
    ("南京", "320100"),
    ("苏州", "320500"),
    ("东莞", "441900"),
    ("佛山", "440600"),
    ("厦门", "350200"),
]
NAME_WORDS = (
    "华信达恒泰盛源丰瑞鑫隆安宏兴创博远通锦程嘉德永汇鼎尚优维佳正联合新力明星海天美辰启元凯耀"
)
BUSINESS = [
    ("科技", "I"),
    ("信息技术", "I"),
    ("网络科技", "I"),
    ("贸易", "F"),
    ("商贸", "F"),
    ("电子商务", "F"),
    ("建筑工程", "E"),
    ("装饰工程", "E"),
    ("餐饮管理", "H"),
    ("酒店管理", "H"),
    ("物流", "G"),
    ("供应链管理", "G"),
    ("企业管理咨询", "L"),
    ("广告", "L"),
    ("文化传媒", "R"),
    ("教育咨询", "P"),
    ("医疗器械", "F"),
    ("机械制造", "C"),
    ("服装", "C"),
    ("食品", "C"),
    ("环保科技", "N"),
    ("物业管理", "K"),
    ("生物科技", "M"),
    ("家政服务", "O"),
]
SUFFIXES = ["有限公司", "有限公司", "有限公司", "股份有限公司", "有限责任公司"]
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
MOBILE_PREFIXES = [
    "138",
    "139",
    "137",
    "136",
    "135",
    "150",
    "151",
    "158",
    "186",
    "187",
    "188",
    "177",
    "199",
]


def person_name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def company(rng: random.Random) -> tuple[str, str, str, str]:
    """(full name, short name, industry code, city area code) of a plausible company."""
    city, area = rng.choice(CITIES)
    brand = "".join(rng.sample(NAME_WORDS, 2))
    business, industry = rng.choice(BUSINESS)
    name = f"{city}市{brand}{business}{rng.choice(SUFFIXES)}"
    return name, brand + business[:2], industry, area


def uscc(rng: random.Random, area: str = "440300") -> str:
    """A 统一社会信用代码 of an enterprise (登记管理部门 9, 类别 1) with a valid check character."""
    body = "91" + area + "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
    return body + uscc_check_char(body)


def resident_id(rng: random.Random, area: str = "440305", born: dt.date | None = None) -> str:
    born = born or dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 40))
    body = f"{area}{born:%Y%m%d}{rng.randrange(0, 1000):03d}"
    return body + resident_id_check_char(body)


def mobile(rng: random.Random) -> str:
    """An E.164 mainland mobile number."""
    return f"+86{rng.choice(MOBILE_PREFIXES)}{rng.randrange(0, 10**8):08d}"


#: Province (or municipality) of each city in ``CITIES``, its telephone area code, and some of
#: its districts with their 行政区划代码 (GB/T 2260), which also start local 身份证号.
CITY_DETAILS: dict[str, tuple[str, str, list[tuple[str, str]]]] = {
    "深圳": (
        "广东省",
        "0755",
        [
            ("福田区", "440304"),
            ("罗湖区", "440303"),
            ("南山区", "440305"),
            ("宝安区", "440306"),
            ("龙岗区", "440307"),
            ("龙华区", "440309"),
        ],
    ),
    "广州": (
        "广东省",
        "020",
        [
            ("越秀区", "440104"),
            ("海珠区", "440105"),
            ("天河区", "440106"),
            ("白云区", "440111"),
            ("番禺区", "440113"),
        ],
    ),
    "上海": (
        "",
        "021",
        [
            ("黄浦区", "310101"),
            ("徐汇区", "310104"),
            ("长宁区", "310105"),
            ("静安区", "310106"),
            ("浦东新区", "310115"),
            ("闵行区", "310112"),
        ],
    ),
    "北京": (
        "",
        "010",
        [
            ("东城区", "110101"),
            ("西城区", "110102"),
            ("朝阳区", "110105"),
            ("海淀区", "110108"),
            ("丰台区", "110106"),
        ],
    ),
    "杭州": (
        "浙江省",
        "0571",
        [
            ("上城区", "330102"),
            ("拱墅区", "330105"),
            ("西湖区", "330106"),
            ("滨江区", "330108"),
            ("余杭区", "330110"),
        ],
    ),
    "成都": (
        "四川省",
        "028",
        [
            ("锦江区", "510104"),
            ("青羊区", "510105"),
            ("金牛区", "510106"),
            ("武侯区", "510107"),
            ("成华区", "510108"),
        ],
    ),
    "武汉": (
        "湖北省",
        "027",
        [("江岸区", "420102"), ("江汉区", "420103"), ("武昌区", "420106"), ("洪山区", "420111")],
    ),
    "南京": (
        "江苏省",
        "025",
        [("玄武区", "320102"), ("秦淮区", "320104"), ("鼓楼区", "320106"), ("江宁区", "320115")],
    ),
    "苏州": (
        "江苏省",
        "0512",
        [("姑苏区", "320508"), ("虎丘区", "320505"), ("吴中区", "320506"), ("相城区", "320507")],
    ),
    "东莞": (
        "广东省",
        "0769",
        [
            ("莞城街道", "441900"),
            ("南城街道", "441900"),
            ("东城街道", "441900"),
            ("松山湖", "441900"),
        ],
    ),
    "佛山": ("广东省", "0757", [("禅城区", "440604"), ("南海区", "440605"), ("顺德区", "440606")]),
    "厦门": ("福建省", "0592", [("思明区", "350203"), ("湖里区", "350206"), ("集美区", "350211")]),
}
CITY_BY_AREA = {area: city for city, area in CITIES}
ROADS = [
    "人民路",
    "解放路",
    "中山路",
    "建设路",
    "和平路",
    "新华路",
    "科技园路",
    "创业路",
    "学府路",
    "滨海大道",
    "文化路",
    "长江路",
    "黄河路",
    "发展大道",
    "工业大道",
    "金融街",
    "迎宾路",
    "高新路",
]
BUILDINGS = ["大厦", "广场", "中心", "科技园", "产业园", "商务中心", "国际大厦"]
BANKS = [
    "中国工商银行",
    "中国建设银行",
    "中国农业银行",
    "中国银行",
    "交通银行",
    "招商银行",
    "中国邮政储蓄银行",
    "兴业银行",
    "浦发银行",
    "中信银行",
    "平安银行",
]
#: 注册资本 in 元 and how often each amount is chosen: small firms dominate a 代账 client base.
REGISTERED_CAPITALS = [
    (10_000, 3),
    (50_000, 6),
    (100_000, 12),
    (300_000, 8),
    (500_000, 12),
    (1_000_000, 20),
    (2_000_000, 10),
    (3_000_000, 8),
    (5_000_000, 10),
    (10_000_000, 8),
    (20_000_000, 2),
    (50_000_000, 1),
]


def city_of(area: str) -> str:
    """The city name of a city area code from ``CITIES`` (``440300`` → ``深圳``)."""
    return CITY_BY_AREA.get(area, "深圳")


def district(rng: random.Random, city: str) -> tuple[str, str]:
    """(district name, 6-digit 行政区划代码) of a district of ``city``."""
    return rng.choice(CITY_DETAILS[city][2])


def address(rng: random.Random, city: str, district_name: str | None = None) -> str:
    """A business address such as ``广东省深圳市南山区科技园路88号恒泰大厦1203室``."""
    province = CITY_DETAILS[city][0]
    district_name = district_name or district(rng, city)[0]
    street = f"{rng.choice(ROADS)}{rng.randrange(1, 300)}号"
    if rng.random() < 0.7:
        brand = "".join(rng.sample(NAME_WORDS, 2))
        street += (
            f"{brand}{rng.choice(BUILDINGS)}{rng.randrange(1, 30)}{rng.randrange(1, 20):02d}室"
        )
    return f"{province}{city}市{district_name}{street}"


def landline(rng: random.Random, city: str) -> str:
    """A company telephone number with the city's area code, e.g. ``0755-86012345``."""
    code = CITY_DETAILS[city][1]
    digits = 8 if len(code) == 3 or code in ("0755", "0769", "0757", "0512", "0571") else 7
    return f"{code}-{rng.randrange(2, 9)}{rng.randrange(0, 10 ** (digits - 1)):0{digits - 1}d}"


def registered_capital(rng: random.Random) -> int:
    """A registered capital in 元, weighted towards the small firms a bookkeeping agency serves."""
    amounts, weights = zip(*REGISTERED_CAPITALS, strict=True)
    return rng.choices(amounts, weights=weights)[0]


def bank(rng: random.Random, city: str, district_name: str) -> tuple[str, str]:
    """(开户银行 with branch, account number) of a company's basic account."""
    name = rng.choice(BANKS)
    branch = f"{name}{city}{district_name.rstrip('区').rstrip('街道')}支行"
    account = "".join(str(rng.randrange(10)) for _ in range(rng.choice((16, 17, 19))))
    return branch, account


def date_between(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange(0, (end - start).days + 1))

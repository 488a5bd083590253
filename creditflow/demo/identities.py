"""Identifiers and names of the simulated city's subjects, all valid by python-stdnum.

Taizhou's division codes (3212xx) date from 1996, and ``stdnum.cn.ric`` checks that a resident ID
number's area existed in its holder's birth year: the city's simulated residents are therefore
born from 1997 on (older residents carry the Yangzhou codes 3210xx of their birth).
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from stdnum.cn import ric, uscc

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

#: Taizhou's county-level divisions (行政区划代码) for organisations.
DIVISIONS = {
    "321202": "海陵区",
    "321203": "高港区",
    "321204": "姜堰区",
    "321281": "兴化市",
    "321282": "靖江市",
    "321283": "泰兴市",
}
#: Areas a resident born 1997–2004 can carry (姜堰 was 321284 姜堰市 until 2012).
RESIDENT_AREAS = ("321202", "321203", "321281", "321282", "321283", "321284")
BIRTH_FIRST, BIRTH_LAST = date(1997, 1, 1), date(2004, 12, 31)

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建文辉力鹏飞宇晨浩然欣怡子涵梓萱"
_TRADE_WORDS = "华盛恒鑫瑞泰兴隆达信通宏海嘉凯博创远新源丰和润祥安康宁汇金永昌"
_INDUSTRIES = (
    "食品",
    "建材",
    "化工",
    "机械制造",
    "医药",
    "物流",
    "建筑工程",
    "电子科技",
    "纺织",
    "商贸",
    "船舶配套",
    "餐饮管理",
    "环保科技",
    "粮油",
)
_SHOPS = ("便利店", "小吃店", "五金店", "水果店", "理发店", "副食品店", "服装店", "汽车修理铺")


def _with_check(body: str) -> str:
    return body + str(uscc.calc_check_digit(body))


def enterprise_uscc(rng: random.Random, division: str) -> str:
    """A 91… USCC (工商, 企业) whose organisation code is of the new MA… kind."""
    return _with_check("91" + division + "MA" + "".join(rng.choices(USCC_ALPHABET, k=7)))


def individual_business_uscc(rng: random.Random, division: str) -> str:
    """A 92… USCC (工商, 个体工商户)."""
    return _with_check("92" + division + "MA" + "".join(rng.choices(USCC_ALPHABET, k=7)))


def resident_id(rng: random.Random) -> str:
    """A valid 居民身份证号码 of a Taizhou resident born 1997–2004."""
    span = (BIRTH_LAST - BIRTH_FIRST).days
    born = BIRTH_FIRST + timedelta(days=rng.randrange(span + 1))
    body = f"{rng.choice(RESIDENT_AREAS)}{born:%Y%m%d}{rng.randrange(1, 1000):03d}"
    # ric.calc_check_digit reads the whole number and ignores its last character.
    return body + str(ric.calc_check_digit(body + "0"))


def person_name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choices(_GIVEN, k=rng.choice((1, 2))))


def company_name(rng: random.Random, division: str) -> str:
    place = DIVISIONS[division].removesuffix("区").removesuffix("市")
    trade = "".join(rng.sample(_TRADE_WORDS, 2))
    return f"泰州市{place}{trade}{rng.choice(_INDUSTRIES)}有限公司"


def shop_name(rng: random.Random, division: str) -> str:
    return f"{DIVISIONS[division]}{rng.choice(_SURNAMES)}记{rng.choice(_SHOPS)}"

"""Deterministic demo data, relative to a given ``now``.

Same ``now`` + same ``rng_seed`` => byte-identical data; order numbers never depend on
``now`` so the well-known demo orders below can be named in docs and tests.
Customer 1 (张三, 13800001234) and customer 2 (李四, 13800005678) get a fixed set of
orders covering the interesting cases; customers 3..32 get random-but-seeded orders.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shop import rules
from shop.errors import DomainError
from shop.models import (
    AfterSaleEvent,
    AfterSaleItem,
    AfterSaleRequest,
    Customer,
    Invoice,
    Order,
    OrderItem,
    Payment,
    Product,
    ProductAlias,
    ProductFact,
    Shipment,
    SizeChartRow,
    Sku,
    TrackingEvent,
)

DEMO_CUSTOMER_ID = 1
DEMO_CUSTOMER_PHONE = "13800001234"
OTHER_CUSTOMER_ID = 2
OTHER_CUSTOMER_PHONE = "13800005678"


def order_no(customer_id: int, seq: int) -> str:
    """16-digit order number, a pure function of (customer, sequence)."""
    return f"88{customer_id:06d}{seq:08d}"


#: Customer 1's orders, one per interesting case (see docs/shop.md).
DEMO_ORDERS: dict[str, str] = {
    "awaiting_payment": order_no(1, 1),
    "packing_today": order_no(1, 2),
    "packing": order_no(1, 3),
    "ship_overdue": order_no(1, 4),
    "in_transit": order_no(1, 5),
    "stuck": order_no(1, 6),
    "delivered_in_window": order_no(1, 7),
    "delivered_out_of_window": order_no(1, 8),
    "fresh_food": order_no(1, 9),
    "completed": order_no(1, 10),
    "cancelled": order_no(1, 11),
    "double_charge": order_no(1, 12),
    "payment_failed": order_no(1, 13),
    "paid_not_updated": order_no(1, 14),
    "exchange_out_of_stock": order_no(1, 15),
    "multi_item": order_no(1, 16),
    "in_transit_delayed": order_no(1, 17),
    "return_in_progress": order_no(1, 18),
    "custom_made": order_no(1, 19),
}
#: Customer 2's orders (use them to check that customer 1 cannot see them).
OTHER_CUSTOMER_ORDERS: dict[str, str] = {
    "delivered_in_window": order_no(2, 1),
    "in_transit": order_no(2, 2),
    "ship_overdue": order_no(2, 3),
}
DELAY_REASON = "暴雨导致干线延误"

# (title, category, returnable, window_days, code, sizes, colours {code: (name, price)}, stock)
_CATALOGUE: list[tuple[str, str, bool, int, str, list[str], dict[str, tuple[str, str]], int]] = [
    ("纯棉圆领T恤", "服装", True, 7, "TS", ["S", "M", "L", "XL", "XXL"],
     {"WHT": ("白色", "79.00"), "BLK": ("黑色", "79.00")}, 20),
    ("修身牛仔裤", "服装", True, 7, "JN", ["S", "M", "L", "XL"], {"BLU": ("蓝色", "199.00")}, 10),
    ("轻量跑步鞋", "鞋靴", True, 7, "RS", ["39", "40", "41", "42", "43", "44"],
     {"BLK": ("黑色", "399.00"), "WHT": ("白色", "399.00")}, 5),
    ("无线蓝牙耳机", "数码", True, 7, "BT", [], {"WHT": ("白色", "299.00"), "BLK": ("黑色", "299.00")}, 30),
    ("不锈钢保温杯", "家居", True, 7, "CUP", [], {"SLV": ("银色", "89.00")}, 40),
    ("阳澄湖大闸蟹礼盒", "生鲜", False, 0, "CRAB", [], {"STD": ("标准装", "368.00")}, 50),
    ("定制刻字钢笔", "定制", False, 0, "PEN", [], {"BLK": ("黑色", "158.00")}, 100),
    ("连帽羽绒服", "服装", True, 7, "DJ", ["M", "L", "XL"],
     {"BLK": ("黑色", "699.00"), "RED": ("红色", "729.00")}, 8),
    ("氨基酸洗面奶", "美妆", True, 7, "FC", [], {"STD": ("120ml", "59.00")}, 60),
    ("智能手环", "数码", True, 7, "BAND", [], {"BLK": ("黑色", "249.00")}, 25),
    ("有机草莓", "生鲜", False, 0, "STRAW", [], {"STD": ("1kg", "89.90")}, 40),
    ("真丝连衣裙", "服装", True, 7, "DR", ["S", "M", "L"], {"PNK": ("粉色", "459.00")}, 6),
]
#: English names of the demo products (products[].name_en of an import), for English replies (issue 35).
_NAMES_EN: dict[str, str] = {
    "纯棉圆领T恤": "Cotton crew-neck T-shirt", "修身牛仔裤": "Slim-fit jeans",
    "轻量跑步鞋": "Lightweight running shoes",
    "无线蓝牙耳机": "Wireless Bluetooth earbuds", "不锈钢保温杯": "Stainless steel vacuum flask",
    "阳澄湖大闸蟹礼盒": "Yangcheng Lake hairy crab gift box", "定制刻字钢笔": "Custom engraved fountain pen",
    "连帽羽绒服": "Hooded down jacket", "氨基酸洗面奶": "Amino acid facial cleanser", "智能手环": "Smart fitness band",
    "有机草莓": "Organic strawberries", "真丝连衣裙": "Silk dress",
}
#: Each product's 商品参数, answered to questions about the product ("T恤是什么材质的").
_FACTS: dict[str, list[tuple[str, str]]] = {
    "纯棉圆领T恤": [("材质", "100% 精梳棉"), ("克重", "220g"), ("版型", "常规宽松，偏大半码"),
                ("洗涤", "可机洗，30℃ 以下反面洗，不可漂白")],
    "修身牛仔裤": [("材质", "98% 棉、2% 氨纶，微弹"), ("版型", "修身直筒"), ("裤长", "S 码 100cm，每大一码加 2cm"),
               ("洗涤", "首次单独冷水洗，可能轻微掉色")],
    "轻量跑步鞋": [("鞋面", "透气网布"), ("鞋底", "EVA 中底、橡胶大底"), ("重量", "约 230g（42 码单只）"),
               ("尺码", "标准码，脚背高或脚宽建议大一码")],
    "无线蓝牙耳机": [("蓝牙", "5.3"), ("续航", "单次约 6 小时，连充电盒约 24 小时"),
                ("防水", "IPX4 防汗防溅水，不能游泳佩戴"), ("充电", "Type-C，约 1.5 小时充满"),
                ("保修", "一年质保，非人为损坏免费维修或换新")],
    "不锈钢保温杯": [("材质", "316 不锈钢内胆、304 不锈钢外壳"), ("容量", "500ml"), ("保温", "开水 6 小时后约 60℃"),
                ("适用", "可装开水和茶，不建议久放牛奶或碳酸饮料")],
    "阳澄湖大闸蟹礼盒": [("规格", "公蟹 4 两 ×4 只、母蟹 3 两 ×4 只"), ("发货", "顺丰冷链，活蟹发出"),
                  ("保存", "收到后 0–5℃ 冷藏，2 天内食用")],
    "定制刻字钢笔": [("笔尖", "EF 尖（0.38mm）"), ("上墨", "吸墨器、墨囊两用"),
                ("刻字", "最多 10 个汉字或 20 个字母，下单时备注"), ("工期", "刻字后 3 天内发出")],
    "连帽羽绒服": [("填充", "90% 白鸭绒"), ("充绒量", "约 180g（L 码）"), ("面料", "防泼水尼龙"),
               ("适用温度", "约 -10℃ 到 5℃")],
    "氨基酸洗面奶": [("净含量", "120ml"), ("成分", "氨基酸表活，无皂基"), ("适合肤质", "各类肤质，敏感肌也可用"),
                ("用法", "早晚各一次，取黄豆大小")],
    "智能手环": [("屏幕", "1.47 英寸 AMOLED"), ("续航", "典型使用约 14 天"),
             ("防水", "5ATM，可游泳佩戴，不能泡热水或潜水"), ("功能", "心率、血氧、睡眠监测，消息提醒"),
             ("保修", "一年质保，非人为损坏免费维修或换新")],
    "有机草莓": [("产地", "辽宁丹东"), ("规格", "1kg，约 30–40 颗"), ("认证", "有机产品认证"),
             ("保存", "收到后冷藏，2 天内食用")],
    "真丝连衣裙": [("面料", "100% 桑蚕丝（19 姆米）"), ("长度", "约 110cm（M 码）"),
              ("洗涤", "干洗或冷水手洗，不可机洗、不可暴晒")],
}

#: Everyday words for each product (its aliases), as shoppers say them, in Chinese and in English. An
#: alias is found inside the words ("the flask one"): none is part of other words ("tee" is in "steel",
#: "pen" in "open", "band" in "husband", "dress" in "address", "t shirt" in "that shirt").
_ALIASES: dict[str, list[str]] = {
    "纯棉圆领T恤": ["T恤", "短袖", "体恤", "t-shirt", "tshirt"],
    "修身牛仔裤": ["牛仔裤", "裤子", "jeans"],
    "轻量跑步鞋": ["跑鞋", "运动鞋", "鞋子", "running shoes", "sneakers", "shoes"],
    "无线蓝牙耳机": ["耳机", "蓝牙耳机", "earbuds", "earphones", "headphones"],
    "不锈钢保温杯": ["保温杯", "杯子", "水杯", "thermos", "vacuum flask", "flask", "water bottle"],
    "阳澄湖大闸蟹礼盒": ["大闸蟹", "螃蟹", "crab"], "定制刻字钢笔": ["钢笔", "fountain pen"],
    "连帽羽绒服": ["羽绒服", "外套", "down jacket", "puffer"], "氨基酸洗面奶": ["洗面奶", "洁面", "cleanser"],
    "智能手环": ["手环", "fitness band", "smart band", "fitness tracker"],
    "有机草莓": ["草莓", "strawberry", "strawberries"],
    "真丝连衣裙": ["连衣裙", "裙子", "silk dress"],
}

#: Size charts of the clothes: (size, tallest cm, heaviest kg) it fits, smallest first.
_SIZE_CHARTS: dict[str, list[tuple[str, int, int]]] = {
    "纯棉圆领T恤": [("S", 165, 55), ("M", 172, 65), ("L", 178, 75), ("XL", 184, 85), ("XXL", 190, 95)],
    "修身牛仔裤": [("S", 165, 55), ("M", 172, 65), ("L", 178, 75), ("XL", 185, 85)],
    "连帽羽绒服": [("M", 170, 62), ("L", 177, 72), ("XL", 185, 85)],
    "真丝连衣裙": [("S", 160, 50), ("M", 166, 57), ("L", 172, 65)],
}

#: SKUs deliberately sold out (exchange/stock questions).
SOLD_OUT = frozenset({"TS-BLK-XXL", "JN-BLU-XL", "RS-BLK-43", "DJ-RED-XL"})

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
_GIVEN = list("伟芳娜敏静磊洋艳勇军杰娟涛明超霞平刚")
_ADDRESSES = [
    ("广东省", "深圳市", "南山区", "科技园路88号3栋502"),
    ("浙江省", "杭州市", "西湖区", "文三路199号2单元801"),
    ("北京市", "北京市", "朝阳区", "建国路77号华贸中心1号楼1203"),
    ("上海市", "上海市", "浦东新区", "世纪大道100号环球金融中心15楼"),
    ("四川省", "成都市", "武侯区", "天府大道中段666号5栋1101"),
    ("湖北省", "武汉市", "洪山区", "珞喻路1037号8舍302"),
    ("江苏省", "南京市", "鼓楼区", "中山北路30号12楼"),
]
_COURIERS = [("顺丰速运", "SF"), ("中通快递", "ZTO"), ("圆通速递", "YT"), ("京东物流", "JDL")]
_HUBS = ["杭州转运中心", "广州转运中心", "武汉转运中心", "上海转运中心", "成都转运中心"]
_METHODS = ["alipay", "wechat", "card", "alipay", "wechat"]
_DELAY_REASONS = [DELAY_REASON, "仓库爆单，排队打包中", "商品需从外仓调拨"]


@dataclass
class _Ctx:
    session: Session
    now: datetime
    rng: random.Random
    skus: dict[str, Sku] = field(default_factory=dict)
    orders: int = 0


def seed(session: Session, *, now: datetime, rng_seed: int = 42) -> dict[str, int]:
    """Fill an empty database; returns row counts. Refuses a non-empty database."""
    if session.execute(select(func.count()).select_from(Customer)).scalar_one():
        raise DomainError("invalid_input", "database already has customers; use `python -m shop reset`")
    ctx = _Ctx(session, now.replace(microsecond=0), random.Random(rng_seed))
    _seed_catalogue(ctx)
    customers = _seed_customers(ctx)
    _demo_orders(ctx, customers[0])
    _other_customer_orders(ctx, customers[1])
    for customer in customers[2:]:
        _random_orders(ctx, customer)
    session.flush()
    return {"customers": len(customers), "products": len(_CATALOGUE), "skus": len(ctx.skus),
            "orders": ctx.orders}


# --- catalogue & customers -------------------------------------------------------------

def _seed_catalogue(ctx: _Ctx) -> None:
    for title, category, returnable, window, code, sizes, colours, stock in _CATALOGUE:
        product = Product(title=title, name_en=_NAMES_EN.get(title), category=category, returnable=returnable,
                          return_window_days=window,
                          facts=[ProductFact(position=i, name=name, value=value)
                                 for i, (name, value) in enumerate(_FACTS.get(title, []))],
                          aliases=[ProductAlias(alias=alias) for alias in _ALIASES.get(title, [])],
                          size_chart=[SizeChartRow(position=i, size=size, max_height_cm=height, max_weight_kg=weight)
                                      for i, (size, height, weight) in enumerate(_SIZE_CHARTS.get(title, []))])
        ctx.session.add(product)
        for colour_code, (colour, price) in colours.items():
            for size in sizes or [None]:
                sku_code = f"{code}-{colour_code}" + (f"-{size}" if size else "")
                sku = Sku(sku_code=sku_code, product=product, size=size, color=colour, price=Decimal(price),
                          stock=0 if sku_code in SOLD_OUT else stock, reserved=0)
                ctx.session.add(sku)
                ctx.skus[sku_code] = sku
    ctx.session.flush()


def _seed_customers(ctx: _Ctx) -> list[Customer]:
    fixed = [("张三", DEMO_CUSTOMER_PHONE), ("李四", OTHER_CUSTOMER_PHONE)]
    people = fixed + [
        (_random_name(ctx.rng), f"1380000{2000 + i}") for i in range(3, 33)
    ]
    customers = []
    for index, (name, phone) in enumerate(people):
        province, city, district, street = _ADDRESSES[index % len(_ADDRESSES)]
        customers.append(Customer(name=name, phone=phone, province=province, city=city, district=district,
                                  street=street))
    ctx.session.add_all(customers)
    ctx.session.flush()
    return customers


def _random_name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + rng.choice(_GIVEN) + rng.choice(["", *_GIVEN])


# --- order builder ---------------------------------------------------------------------

@dataclass
class _Spec:
    """Everything that varies between seeded orders; timestamps derive from ``created``."""

    number: str
    status: str
    created: datetime
    lines: list[tuple[str, int]]
    discount: Decimal = Decimal("0.00")
    method: str = "alipay"
    ship_by: datetime | None = None
    delay_reason: str | None = None
    last_event: datetime | None = None  # shipped: time of the latest tracking event
    delivered: datetime | None = None
    failed: list[str] = field(default_factory=list)  # failure reasons before the success
    double_charge: bool = False
    pay: bool | None = None  # override: succeeded payment even though pending / cancelled


def _build(ctx: _Ctx, customer: Customer, spec: _Spec) -> Order:
    order = Order(
        order_no=spec.number, customer=customer, status=spec.status, created_at=spec.created,
        province=customer.province, city=customer.city, district=customer.district, street=customer.street,
        recipient=customer.name, phone=customer.phone, delay_reason=spec.delay_reason,
        total_amount=Decimal("0.00"), paid_amount=Decimal("0.00"),
    )
    _add_lines(ctx, order, spec)
    paid = spec.pay if spec.pay is not None else spec.status not in ("pending_payment", "cancelled")
    _add_payments(order, spec, paid)
    if paid and spec.status != "pending_payment":
        order.paid_at = spec.created + timedelta(minutes=5)
        order.ship_by = spec.ship_by or order.paid_at + timedelta(hours=rules.DEFAULT_SHIP_WITHIN_HOURS)
    if spec.status in ("shipped", "delivered", "completed"):
        _ship(ctx, order, spec)
    _finish(order, spec)
    ctx.session.add(order)
    ctx.orders += 1
    return order


def _add_lines(ctx: _Ctx, order: Order, spec: _Spec) -> None:
    discount = spec.discount
    for sku_code, quantity in spec.lines:
        sku = ctx.skus[sku_code]
        gross = sku.price * quantity
        paid = max(gross - discount, Decimal("0.01"))
        discount = Decimal("0.00")  # the whole coupon goes to the first line
        order.items.append(OrderItem(sku=sku, quantity=quantity, unit_price=sku.price, paid_amount=paid))
        order.total_amount += gross
        order.paid_amount += paid


def _add_payments(order: Order, spec: _Spec, paid: bool) -> None:
    at = spec.created + timedelta(minutes=1)
    for reason in spec.failed:
        order.payments.append(Payment(method=spec.method, amount=order.paid_amount, status="failed",
                                      failure_reason=reason, created_at=at))
        at += timedelta(minutes=1)
    if not paid:
        return
    status = "refunded" if spec.status == "cancelled" else "succeeded"
    refunded = status == "refunded"
    order.payments.append(Payment(
        method=spec.method, amount=order.paid_amount, status=status, created_at=at,
        refunded_at=spec.created + timedelta(hours=1) if refunded else None,
        refund_reason="order_cancelled" if refunded else None,
    ))
    if spec.double_charge:
        order.payments.append(Payment(method=spec.method, amount=order.paid_amount, status="succeeded",
                                      created_at=at + timedelta(seconds=20)))


def _ship(ctx: _Ctx, order: Order, spec: _Spec) -> None:
    courier, prefix = _COURIERS[int(spec.number[-3:]) % len(_COURIERS)]
    # Ship within 20 h (or a third of the time until the latest event) so events stay ordered.
    reference = spec.last_event or spec.delivered or ctx.now
    lead = min(timedelta(hours=20), (reference - spec.created) / 3)
    shipped_at = spec.created + timedelta(minutes=5) + lead
    shipment = Shipment(courier=courier, tracking_no=f"{prefix}{spec.number[-12:]}", shipped_at=shipped_at)
    hub = _HUBS[int(spec.number[-2:]) % len(_HUBS)]
    last = spec.last_event or (spec.delivered - timedelta(hours=4) if spec.delivered else shipped_at)
    last = max(last, shipped_at + timedelta(minutes=30))
    middle = shipped_at + (last - shipped_at) / 2
    shipment.events = [
        TrackingEvent(time=shipped_at, place="发货仓", description="快递员已揽收"),
        TrackingEvent(time=middle, place=hub, description=f"已到达{hub}"),
        TrackingEvent(time=last, place=order.city, description=f"已发往{order.city}{order.district}"),
    ]
    if spec.delivered:
        shipment.events += [
            TrackingEvent(time=spec.delivered - timedelta(hours=2), place=order.city, description="派送中"),
            TrackingEvent(time=spec.delivered, place=order.city, description="已签收，签收人：本人"),
        ]
    order.shipment = shipment


def _finish(order: Order, spec: _Spec) -> None:
    if spec.status in ("delivered", "completed"):
        order.delivered_at = spec.delivered
    if spec.status == "completed" and spec.delivered:
        order.completed_at = spec.delivered + timedelta(days=7)
    if spec.status == "cancelled":
        order.cancelled_at = spec.created + timedelta(hours=1)


# --- the fixed demo orders -------------------------------------------------------------

def _demo_orders(ctx: _Ctx, customer: Customer) -> None:
    now, d, h = ctx.now, (lambda n: ctx.now - timedelta(days=n)), (lambda n: ctx.now - timedelta(hours=n))
    today_end = datetime.combine(now.date(), time(23, 59, 59))
    specs = [
        _Spec(DEMO_ORDERS["awaiting_payment"], "pending_payment", h(1), [("BT-WHT", 1)]),
        _Spec(DEMO_ORDERS["packing_today"], "paid", h(30), [("JN-BLU-M", 1)], ship_by=today_end),
        _Spec(DEMO_ORDERS["packing"], "paid", h(3), [("DR-PNK-M", 1)], ship_by=now + timedelta(days=2)),
        _Spec(DEMO_ORDERS["ship_overdue"], "paid", d(4), [("CUP-SLV", 2)], ship_by=h(36),
              delay_reason=DELAY_REASON),
        _Spec(DEMO_ORDERS["in_transit"], "shipped", d(2), [("BAND-BLK", 1)], last_event=h(5),
              method="wechat"),
        _Spec(DEMO_ORDERS["stuck"], "shipped", d(6), [("DJ-BLK-L", 1)], last_event=h(80)),
        _Spec(DEMO_ORDERS["delivered_in_window"], "delivered", d(6), [("TS-WHT-M", 1)],
              discount=Decimal("10.00"), delivered=d(3)),
        _Spec(DEMO_ORDERS["delivered_out_of_window"], "delivered", d(14), [("BT-BLK", 1)], delivered=d(10),
              method="card"),
        _Spec(DEMO_ORDERS["fresh_food"], "delivered", d(3), [("CRAB-STD", 1)], delivered=d(1)),
        _Spec(DEMO_ORDERS["completed"], "completed", d(45), [("DJ-RED-L", 1)], delivered=d(40)),
        _Spec(DEMO_ORDERS["cancelled"], "cancelled", d(8), [("FC-STD", 2)]),
        _Spec(DEMO_ORDERS["double_charge"], "paid", h(20), [("RS-WHT-40", 1)], method="wechat",
              ship_by=now + timedelta(days=1), double_charge=True),
        _Spec(DEMO_ORDERS["payment_failed"], "pending_payment", h(2), [("DJ-BLK-M", 1)], method="card",
              failed=["insufficient_balance", "card_limit"]),
        _Spec(DEMO_ORDERS["paid_not_updated"], "pending_payment", h(1), [("STRAW-STD", 1)], pay=True),
        _Spec(DEMO_ORDERS["exchange_out_of_stock"], "delivered", d(5), [("RS-BLK-42", 1)], delivered=d(2)),
        _Spec(DEMO_ORDERS["multi_item"], "delivered", d(5), [("TS-BLK-L", 2), ("FC-STD", 1), ("CUP-SLV", 1)],
              discount=Decimal("20.00"), delivered=d(2)),
        _Spec(DEMO_ORDERS["in_transit_delayed"], "shipped", d(3), [("JN-BLU-L", 1)], last_event=h(10),
              delay_reason="中转站爆仓，预计延误1-2天"),
        _Spec(DEMO_ORDERS["return_in_progress"], "delivered", d(9), [("DR-PNK-S", 1)], delivered=d(5)),
        _Spec(DEMO_ORDERS["custom_made"], "delivered", d(6), [("PEN-BLK", 1)], delivered=d(2)),
    ]
    built = {spec.number: _build(ctx, customer, spec) for spec in specs}
    ctx.session.flush()
    _return_in_progress(ctx, built[DEMO_ORDERS["return_in_progress"]])
    _issued_invoice(ctx, built[DEMO_ORDERS["delivered_in_window"]])


def _issued_invoice(ctx: _Ctx, order: Order) -> None:
    """A personal invoice issued the day after payment (the 换开 demo)."""
    paid = order.paid_at or order.created_at
    ctx.session.add(Invoice(order_id=order.id, kind="personal", title=order.customer.name, email="demo@example.com",
                            status="issued", requested_at=paid, issued_at=paid + timedelta(days=1)))


def _return_in_progress(ctx: _Ctx, order: Order) -> None:
    """A no-reason return already received by the warehouse, refund pending (timeline demo)."""
    start = order.delivered_at + timedelta(days=1)
    req = AfterSaleRequest(
        order=order, customer_id=order.customer_id, type="return", status="received",
        reason_kind="no_reason",
        reason_text="尺码不合适", evidence_urls=[], refund_amount=order.items[0].paid_amount,
        refund_method=order.payments[0].method, shipping_fee_compensation=Decimal("0.00"),
        return_address=rules.RETURN_ADDRESS, pickup_slot=rules.pickup_slot(start),
        idempotency_key=f"seed:return:{order.id}", created_at=start, updated_at=start + timedelta(days=2),
    )
    req.items = [AfterSaleItem(order_item_id=order.items[0].id, quantity=order.items[0].quantity)]
    steps = [("requested", 0), ("approved", 0), ("return_shipped", 1), ("received", 2)]
    req.events = [AfterSaleEvent(status=s, time=start + timedelta(days=n)) for s, n in steps]
    ctx.session.add(req)
    ctx.session.flush()
    req.request_no = f"AS{req.created_at:%Y%m%d}{req.id:06d}"


def _other_customer_orders(ctx: _Ctx, customer: Customer) -> None:
    d, h = (lambda n: ctx.now - timedelta(days=n)), (lambda n: ctx.now - timedelta(hours=n))
    for spec in (
        _Spec(OTHER_CUSTOMER_ORDERS["delivered_in_window"], "delivered", d(5), [("TS-BLK-M", 1)],
              delivered=d(2)),
        _Spec(OTHER_CUSTOMER_ORDERS["in_transit"], "shipped", d(2), [("BT-WHT", 1)], last_event=h(8)),
        _Spec(OTHER_CUSTOMER_ORDERS["ship_overdue"], "paid", d(4), [("JN-BLU-S", 1)], ship_by=h(30),
              delay_reason="商品需从外仓调拨"),
    ):
        _build(ctx, customer, spec)


# --- random (but seeded) orders ------------------------------------------------------

_STATUS_WEIGHTS = [("pending_payment", 1), ("paid", 2), ("shipped", 2), ("delivered", 3), ("completed", 3),
                   ("cancelled", 1)]


def _random_orders(ctx: _Ctx, customer: Customer) -> None:
    statuses = [s for s, w in _STATUS_WEIGHTS for _ in range(w)]
    for seq in range(1, 8):
        status = ctx.rng.choice(statuses)
        _build(ctx, customer, _random_spec(ctx, order_no(customer.id, seq), status))


def _random_spec(ctx: _Ctx, number: str, status: str) -> _Spec:
    rng, now = ctx.rng, ctx.now
    codes = sorted(ctx.skus)
    lines = [(rng.choice(codes), rng.randint(1, 2)) for _ in range(rng.randint(1, 3))]
    lines = list(dict(lines).items())  # one line per SKU
    spec = _Spec(number, status, now, lines, discount=Decimal(rng.choice(["0", "0", "0", "5", "10"])),
                 method=rng.choice(_METHODS))
    minutes = {"pending_payment": (10, 1200), "paid": (60, 4000), "shipped": (2000, 9000),
               "delivered": (4000, 30000), "completed": (30000, 86000), "cancelled": (60, 60000)}[status]
    spec.created = now - timedelta(minutes=rng.randint(*minutes))
    _random_flavour(ctx, spec)
    return spec


def _random_flavour(ctx: _Ctx, spec: _Spec) -> None:
    rng, now = ctx.rng, ctx.now
    if rng.random() < 0.1:
        spec.failed = [rng.choice(["insufficient_balance", "card_limit", "system_error"])]
    if spec.status == "paid":
        overdue = rng.random() < 0.35
        spec.ship_by = now - timedelta(hours=rng.randint(2, 40)) if overdue else None
        spec.delay_reason = rng.choice(_DELAY_REASONS) if overdue else None
        spec.ship_by = spec.ship_by or now + timedelta(hours=rng.randint(2, 60))
        spec.double_charge = rng.random() < 0.08
    elif spec.status == "shipped":
        age = (now - spec.created) / timedelta(hours=1)
        stuck = rng.random() < 0.3 and age > 100
        hours = rng.randint(72, int(age) - 21) if stuck else rng.randint(1, 30)
        spec.last_event = now - timedelta(hours=hours)
    elif spec.status in ("delivered", "completed"):
        delivered = spec.created + timedelta(hours=rng.randint(40, 90))
        spec.delivered = min(delivered, now - timedelta(hours=1))
    elif spec.status == "cancelled":
        spec.pay = rng.random() < 0.5

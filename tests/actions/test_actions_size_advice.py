"""Height and weight as shoppers type them, for size advice with the catalogue's size chart."""

from __future__ import annotations

import pytest

from actions.products import body_measures


@pytest.mark.parametrize(("text", "measures"), [
    ("我170 65公斤穿多大", (170, 65)), ("身高175 体重140斤 T恤选几码", (175, 70)), ("1米7 120斤穿什么码", (170, 60)),
    ("一米六五 50kg", (165, 50)), ("172cm 68kg", (172, 68)), ("180 75 牛仔裤穿多大", (180, 75)),
])
def test_height_and_weight(text: str, measures: tuple[int, int]) -> None:
    assert body_measures(text) == measures


@pytest.mark.parametrize("text", ["T恤有L码吗", "订单8800000100000005到哪了", "我170穿多大"])
def test_no_height_and_weight(text: str) -> None:
    assert body_measures(text) is None

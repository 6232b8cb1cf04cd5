"""Sentiment of a shopper's message: angry, neutral or satisfied, from a small lexicon of shop talk.

A lexicon, not a model: no Chinese sentiment model with its weights can be installed here, and the
signal that matters to a shop (an angry shopper) is carried by a short list of words and by
punctuation (？？, ！！). Measured on a hand-labelled sample of shoppers' messages
(tests/analytics/sentiment_*.tsv; figures in docs/analytics.md).
"""

from __future__ import annotations

import re
from typing import Literal

Sentiment = Literal["angry", "neutral", "satisfied"]

ANGRY_WORDS = (
    "气死", "生气", "气得", "火大", "垃圾", "太差", "差劲", "很差", "真差", "骗子", "骗人", "黑店", "坑",
    "投诉", "12315", "无语", "差评", "恶心", "过分", "摆设", "再也不", "不想做生意", "到底", "管不管", "没人管",
    "听不懂", "破服务", "什么破", "赶紧", "马上给我", "退钱", "烂", "离谱", "受够", "凭什么", "糊弄", "烦死",
    "虚假", "欺骗", "忽悠", "敷衍", "态度差", "态度这么差", "找你们领导", "天天让我等", "等等等", "效率太低",
    "什么玩意", "搞什么", "有病", "滚", "太慢了", "一直不", "还不发", "还没到", "怎么又", "说好的",
    "不给退", "不给我", "莫名其妙",
    # second round, from the messages of the first held-out sample it missed (now in the tuning set)
    "怎么做事", "有什么用", "好意思", "别再", "看着办", "遍了", "呵呵", "说辞", "报警", "不然就", "算谁的",
    "第几天", "耍人", "这么差",
)
SATISFIED_WORDS = (
    "谢谢", "感谢", "多谢", "满意", "好评", "太好了", "真好", "人真好", "很好", "挺好", "不错", "点赞", "赞",
    "给力", "棒", "辛苦", "喜欢", "开心", "耐心", "贴心", "效率真高", "效率很高", "很快", "及时", "帮大忙",
    "五星", "完美", "靠谱", "比想象中好", "愉快", "专业", "爱了", "速度可以",
)
#: A satisfied word after one of these is its opposite (不满意, 不太好, 一点也不给力).
NEGATIONS = re.compile(r"(不|没|没有|别|一点也不|一点都不|不太|不怎么)$")
ANGRY_PUNCTUATION = re.compile(r"[?？]{2,}|[!！]{2,}")


def score(text: str) -> tuple[int, int]:
    """(angry cues, satisfied cues) found in `text`; a negated satisfied word counts as angry."""
    angry = len(ANGRY_PUNCTUATION.findall(text))
    satisfied = 0
    for word in ANGRY_WORDS:
        angry += text.count(word)
    for word in SATISFIED_WORDS:
        start = text.find(word)
        while start != -1:
            if NEGATIONS.search(text[max(0, start - 4):start]):
                angry += 1
            else:
                satisfied += 1
            start = text.find(word, start + len(word))
    return angry, satisfied


def classify(text: str) -> Sentiment:
    """angry when angry cues outweigh satisfied ones; satisfied when only satisfied cues; else neutral."""
    angry, satisfied = score(text or "")
    if angry > satisfied:
        return "angry"
    if satisfied > angry:
        return "satisfied"
    return "neutral"

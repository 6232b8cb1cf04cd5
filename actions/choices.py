"""A choice from a list the bot showed as buttons, typed instead of tapped: "第二个", "保温杯", "最后那个"."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TypeVar

Option = TypeVar("Option")

CHINESE_ORDINALS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
ENGLISH_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
                    "fifth": 5, "5th": 5}
# Its place in the list: "第二个", "就要第2件吧", "第一单", a bare "2", "最后那个", "the second one", "last one".
ORDINAL = re.compile(r"第\s*([1-9一二两三四五六七八九])\s*[个件款样单]|^\s*([1-9])\s*$|(最后)[一1那]?[个件款样单]|"
                     r"(?i:\b(" + "|".join(ENGLISH_ORDINALS) + r"|(last))\b)")
# Words around a named option that name nothing: "要退的是那个保温杯吧" -> "保温杯".
FILLER = re.compile(r"[的那这个件款单是要我想退换货就吧呢啊哦呀嗯一下把给～~，,。.!！?？:：\s]")
# A one-character noun said with its suffix ("杯子", "裤子"): that character alone names an option
# (保温杯, 牛仔裤); any other single character is too little to go on ("好" of "好的").
SUFFIXED_NOUN = re.compile(r"^(\w)子$")
# Latin letters and digits name an option only as a whole word of its description ("L", "iPhone"):
# letter by letter, "firstly" would share f, i, r, s, t, l, y with "T恤 黑色/L".
LATIN_WORD = re.compile(r"[a-z0-9]+")


def pick(options: Sequence[Option], said: str, describe: Callable[[Option], str]) -> Option | None:
    """The option the words choose: by its place in the list, else the one option whose description
    shares the most characters with them (see `named`). None when none or several fit."""
    place = ORDINAL.search(said)
    if place:
        index = len(options) if place.group(3) or place.group(5) else _ordinal(
            place.group(1) or place.group(2) or place.group(4))
        return options[index - 1] if 1 <= index <= len(options) else None
    return named(options, said, describe)


def named(options: Sequence[Option], said: str, describe: Callable[[Option], str]) -> Option | None:
    """The option whose description holds the most of the words' characters (at least 2: 跑鞋 names
    轻量跑步鞋; 杯子 names 保温杯), when every other option's share is part of it (白色T恤 among a white
    and a black T恤). None when the words name two options (T恤和保温杯) or none."""
    candidates = _shares(options, said, describe)
    if not candidates:
        return None
    best_share, best = max(candidates, key=lambda candidate: len(candidate[0]))
    others = [share for share, option in candidates if option is not best]
    if any(len(share) == len(best_share) or not share <= best_share for share in others):
        return None
    return best


def holds_any(options: Sequence[Option], said: str, describe: Callable[[Option], str]) -> bool:
    """Whether any option holds enough of the words' characters to be named by them (see `named`)."""
    return bool(_shares(options, said, describe))


def names_several(options: Sequence[Option], said: str, describe: Callable[[Option], str]) -> bool:
    """Whether the words name two options or more, each by words of its own (T恤和保温杯)."""
    shares = [share for share, _ in _shares(options, said, describe)]
    return any(not (a <= b or b <= a) for i, a in enumerate(shares) for b in shares[i + 1:])


def tied(options: Sequence[Option], said: str, describe: Callable[[Option], str]) -> list[Option]:
    """The options that hold the most of the words' characters, when more than one does ("T恤那单" and
    two orders with a T恤): the words fit them all and choose none. Empty otherwise."""
    candidates = _shares(options, said, describe)
    most = max((len(share) for share, _ in candidates), default=0)
    best = [option for share, option in candidates if len(share) == most]
    return best if len(best) > 1 else []


def words_of(said: str) -> str:
    """The words that may name an option, without the filler around them ("T恤那单" -> "T恤")."""
    return FILLER.sub("", said)


def _shares(options: Sequence[Option], said: str, describe: Callable[[Option], str]) -> list[tuple[set[int], Option]]:
    """Each option that holds at least 2 of the words' characters (1 of a suffixed noun: 杯子), with the
    positions it holds."""
    words = words_of(said).lower()
    noun = SUFFIXED_NOUN.match(words)
    words, least = (noun.group(1), 1) if noun else (words, 2)
    shares = [(_positions_held(words, describe(option).lower()), option) for option in options]
    return [(share, option) for share, option in shares if len(share) >= least]


def _positions_held(words: str, description: str) -> set[int]:
    """The positions of the words' characters that the description holds: each other character on its
    own, a run of Latin letters or digits only as a whole word of the description."""
    latin_words = set(LATIN_WORD.findall(description))
    held = {i for i, char in enumerate(words) if not LATIN_WORD.match(char) and char in description}
    for run in LATIN_WORD.finditer(words):
        if run.group() in latin_words:
            held.update(range(run.start(), run.end()))
    return held


def _ordinal(token: str) -> int:
    return int(token) if token.isdigit() else CHINESE_ORDINALS.get(token) or ENGLISH_ORDINALS[token.lower()]

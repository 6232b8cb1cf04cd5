"""The typo'd held-out file: one homophone per message, reproducible from tests/nlu_holdout.yml."""

from __future__ import annotations

import random
import re

from pypinyin import lazy_pinyin

from bench.common import HOLDOUT, HOLDOUT_TYPOS
from bench.typos import common_characters_by_sound, typo_file, with_one_typo

EXAMPLE = re.compile(r"^\s*- (?!intent:)(.+)$")


def _examples(text: str) -> list[str]:
    return [m.group(1) for line in text.splitlines() if (m := EXAMPLE.match(line))]


def test_committed_file_is_what_the_generator_writes() -> None:
    assert HOLDOUT_TYPOS.read_text(encoding="utf-8") == typo_file(HOLDOUT.read_text(encoding="utf-8"))


def test_each_message_differs_by_at_most_one_homophone() -> None:
    originals = _examples(HOLDOUT.read_text(encoding="utf-8"))
    typos = _examples(HOLDOUT_TYPOS.read_text(encoding="utf-8"))
    assert len(originals) == len(typos) == 341
    changed = 0
    for original, typo in zip(originals, typos, strict=True):
        differences = [(a, b) for a, b in zip(original, typo, strict=True) if a != b]
        assert len(differences) <= 1, (original, typo)
        for a, b in differences:
            assert lazy_pinyin(a) == lazy_pinyin(b)
            changed += 1
    assert changed > 0.9 * len(originals)  # lines without a Chinese character outside entities stay


def test_annotations_are_never_touched() -> None:
    by_sound = common_characters_by_sound()
    text = "我的[保温杯](product)漏水了"
    for seed in range(20):
        typo = with_one_typo(text, by_sound, random.Random(seed))
        assert "[保温杯](product)" in typo
    assert with_one_typo("[保温杯](product)", by_sound, random.Random(0)) == "[保温杯](product)"

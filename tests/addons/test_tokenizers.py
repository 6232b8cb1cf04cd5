"""The shop dictionary leaves jieba in the same state however often it is loaded."""

from __future__ import annotations

from pathlib import Path

import jieba
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from addons.tokenizers import ShopJiebaTokenizer, load_dictionary_once

ROOT = Path(__file__).resolve().parents[2]


def _jieba_state() -> tuple[int, dict[str, int], dict[str, str]]:
    return jieba.dt.total, dict(jieba.dt.FREQ), dict(jieba.dt.user_word_tag_tab)


def test_a_second_load_changes_nothing(tmp_path: Path) -> None:
    (tmp_path / "shop.txt").write_text("\ufeff退换货流程 800 n\n店小二 1000\n七天无理由\n\n", encoding="utf-8")
    load_dictionary_once(str(tmp_path))
    after_first = _jieba_state()
    assert jieba.dt.FREQ["退换货流程"] == 800 and jieba.dt.user_word_tag_tab["退换货流程"] == "n"
    assert "七天无理由" in jieba.dt.FREQ  # a word without a frequency gets jieba's suggestion
    assert load_dictionary_once(str(tmp_path)) == 0
    assert _jieba_state() == after_first
    # jieba's own loader counts every word's frequency into the total again (why this module exists)
    jieba.load_userdict(str(tmp_path / "shop.txt"))
    assert jieba.dt.total > after_first[0]


def test_a_changed_frequency_or_tag_is_taken(tmp_path: Path) -> None:
    (tmp_path / "shop.txt").write_text("包邮券 300 n\n", encoding="utf-8")
    load_dictionary_once(str(tmp_path))
    (tmp_path / "shop.txt").write_text("包邮券 900 nz\n", encoding="utf-8")
    assert load_dictionary_once(str(tmp_path)) == 1
    assert jieba.dt.FREQ["包邮券"] == 900 and jieba.dt.user_word_tag_tab["包邮券"] == "nz"


def _tokens(texts: list[str], tmp_path: Path, name: str) -> list[list[str]]:
    """Builds the tokenizer as Rasa does (which loads the shop dictionary) and segments the texts."""
    config = {**ShopJiebaTokenizer.get_default_config(), "dictionary_path": str(ROOT / "data" / "dict")}
    context = ExecutionContext(GraphSchema({}), "test")
    tokenizer = ShopJiebaTokenizer.create(config, LocalModelStorage(tmp_path / name), Resource(name), context)
    return [[t.text for t in tokenizer.tokenize(Message(data={TEXT: text}), TEXT)] for text in texts]


def test_segmentation_does_not_depend_on_how_often_the_tokenizer_was_built(tmp_path: Path) -> None:
    texts = ["处理方式是什么", "顺丰快递到哪了", "我要退货 订单8800000100000016", "七天无理由退换货吗"]
    first = _tokens(texts, tmp_path, "first")
    total = jieba.dt.total
    assert [_tokens(texts, tmp_path, f"again{n}") for n in range(3)] == [first] * 3
    assert jieba.dt.total == total
    assert ["顺丰快递", "到", "哪", "了"] == first[1]  # the shop's words are used


def test_the_training_cache_sees_an_edit_of_the_dictionary(tmp_path: Path) -> None:
    """Rasa's cache key holds the config (the path), not the files: without the addon, a word added to
    data/dict alone left the cached tokenizer, and the model, cutting it as before."""
    (tmp_path / "userdict.txt").write_text("连不上蓝牙 2000 v\n", encoding="utf-8")
    config = {"dictionary_path": str(tmp_path)}
    before = ShopJiebaTokenizer.fingerprint_addon(config)
    assert before == ShopJiebaTokenizer.fingerprint_addon(config)  # same files, same key
    (tmp_path / "userdict.txt").write_text("连不上蓝牙 2000 v\n不充电 2000 v\n", encoding="utf-8")
    assert ShopJiebaTokenizer.fingerprint_addon(config) != before
    assert ShopJiebaTokenizer.fingerprint_addon({"dictionary_path": None}) is None

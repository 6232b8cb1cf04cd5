"""Rasa's JiebaTokenizer, with the shop dictionary loaded the same way however often it is loaded.

jieba adds a user word's frequency to its running total every time the word is loaded, even when it
is already known. Rasa loads the dictionary each time the tokenizer is built: twice while training
(and once more per later model load in the same process), once when serving. The total shapes how
jieba segments, so training and serving could cut the same text differently (for instance 处理方式 as
one word or two), depending on how many loads came before. Here a word already known with the same
frequency and tag is not added again: every load after the first leaves jieba as it was.
"""

from __future__ import annotations

import glob
import hashlib
import logging
import os
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer

logger = logging.getLogger(__name__)


def load_dictionary_once(path: str) -> int:
    """Adds the words of the dictionary files in `path` that jieba does not know yet (or knows with a
    different frequency or tag); returns how many were added."""
    import jieba

    jieba.dt.check_initialized()
    added = 0
    for dictionary in sorted(glob.glob(f"{path}/*")):
        with open(dictionary, "rb") as lines:
            for raw in lines:
                line = raw.decode("utf-8").lstrip("\ufeff").strip()
                if not line:
                    continue
                word, freq, tag = jieba.re_userdict.match(line).groups()
                freq, tag = (freq.strip() if freq else None), (tag.strip() if tag else None)
                if _known(jieba.dt, word, freq, tag):
                    continue
                jieba.add_word(word, freq, tag)
                added += 1
    logger.debug("jieba: %d words added from %s", added, path)
    return added


def _known(tokenizer: object, word: str, freq: str | None, tag: str | None) -> bool:
    """A word with no frequency given gets a suggested one, which changes as words are added: such a
    word counts as known once it is in the dictionary at all."""
    known_freq = tokenizer.FREQ.get(word)  # type: ignore[attr-defined]
    if not known_freq or (freq is not None and int(freq) != known_freq):
        return False
    return tag is None or tokenizer.user_word_tag_tab.get(word) == tag  # type: ignore[attr-defined]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class ShopJiebaTokenizer(JiebaTokenizer):
    """JiebaTokenizer whose dictionary loads are idempotent (see the module docstring)."""

    @staticmethod
    def _load_custom_dictionary(path: str) -> None:
        load_dictionary_once(path)

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """The dictionary files' contents: Rasa's training cache knows only the path, and after an edit of
        data/dict alone it restored the tokenizer with the old copy of the words (a new word stayed cut)."""
        return dictionary_fingerprint(config.get("dictionary_path"))


def dictionary_fingerprint(path: str | None) -> str | None:
    """A digest of the names and contents of the dictionary files in `path` (None without one)."""
    if not path:
        return None
    digest = hashlib.sha256()
    for dictionary in sorted(glob.glob(f"{path}/*")):
        digest.update(os.path.basename(dictionary).encode("utf-8") + b"\0")
        with open(dictionary, "rb") as content:
            digest.update(content.read() + b"\0")
    return digest.hexdigest()

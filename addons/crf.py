"""Rasa's CRFEntityExtractor, loaded from its trained crfsuite files instead of retrained.

Rasa 3.6 stores the CRF's training set and trains the CRF again every time a model loads (it
avoids pickles): 3.5 s of every start-up here. crfsuite writes its own binary model file, which
crfsuite's C code reads back without running any Python, so this subclass stores those files too
and loads them. A model without them (e.g. trained by Rasa's own class) still loads the old way.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections import OrderedDict
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.crf_entity_extractor import CRFEntityExtractor, CRFToken
from rasa.shared.nlu.constants import ENTITIES
from rasa.shared.nlu.training_data.message import Message

logger = logging.getLogger(__name__)


def _tagger_file(directory: Path, tag_name: str) -> Path:
    return directory / f"crf_{tag_name}.crfsuite"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class StoredCRFEntityExtractor(CRFEntityExtractor):
    """Same training and predictions as CRFEntityExtractor, but for guesses over exact words (below);
    persists the trained taggers."""

    def persist(self, dataset: list[list[CRFToken]]) -> None:
        super().persist(dataset)
        with self._model_storage.write_to(self._resource) as directory:
            for tag_name, tagger in (self.entity_taggers or {}).items():
                shutil.copyfile(tagger.modelfile.name, _tagger_file(directory, tag_name))

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> CRFEntityExtractor:
        import sklearn_crfsuite
        from rasa.shared.utils.io import read_json_file

        try:
            with model_storage.read_from(resource) as directory:
                crf_order = read_json_file(directory / "crf_order.json")
                files = [_tagger_file(directory, tag_name) for tag_name in crf_order]
                if not files or not all(path.exists() for path in files):
                    return super().load(config, model_storage, resource, execution_context, **kwargs)
                taggers = OrderedDict()
                for tag_name, path in zip(crf_order, files, strict=True):
                    own_copy = _copy_to_temp(path)
                    tagger = sklearn_crfsuite.CRF(model_filename=own_copy)
                    tagger.tagger_  # noqa: B018 - opens (reads) the model now, not on the first message
                    os.unlink(own_copy)  # crfsuite has read it into memory: no file left behind per load
                    taggers[tag_name] = tagger
        except ValueError:  # Rasa's signal for "no such resource"
            return super().load(config, model_storage, resource, execution_context, **kwargs)
        extractor = cls(config, model_storage, resource, taggers)
        extractor.crf_order = crf_order
        return extractor

    def process(self, messages: list[Message]) -> list[Message]:
        messages = super().process(messages)
        for message in messages:
            entities = message.get(ENTITIES) or []
            kept = without_guesses_over_exact_words(entities, type(self).__name__)
            if len(kept) != len(entities):
                message.set(ENTITIES, kept, add_to_output=True)
        return messages


# The extractor of exact words and patterns (lookup tables: the catalogue's product words; regexes: reasons,
# sizes). Where it found an entity, the CRF's guess of the same kind inside those characters is dropped: the
# CRF, trained mostly on Chinese, cuts English words ("vacuum" of "vacuum flask", "'t like" of "don't like
# it") and its part would replace the whole (issue 35).
EXACT_EXTRACTOR = "RegexEntityExtractor"


def _within(part: dict[str, Any], whole: dict[str, Any]) -> bool:
    return int(whole.get("start", 0)) <= int(part.get("start", 0)) and int(part.get("end", 0)) <= int(
        whole.get("end", 0))


def without_guesses_over_exact_words(entities: list[dict[str, Any]], extractor: str) -> list[dict[str, Any]]:
    """The entities, without those of `extractor` inside an exact one of the same kind (a guess that goes
    beyond it, 鞋子 over the lookup's 鞋, is kept: it may name more)."""
    exact = [e for e in entities if e.get("extractor") == EXACT_EXTRACTOR]
    return [e for e in entities if e.get("extractor") != extractor
            or not any(x.get("entity") == e.get("entity") and _within(e, x) for x in exact)]


def _copy_to_temp(path: Path) -> str:
    """A file of the tagger's own to open (the model directory is temporary); removed once opened."""
    with tempfile.NamedTemporaryFile(prefix="xiaoer_crf_", suffix=".crfsuite", delete=False) as handle:
        with path.open("rb") as source:
            shutil.copyfileobj(source, handle)
        return handle.name

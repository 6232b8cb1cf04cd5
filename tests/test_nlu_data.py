"""The trainers' YAML as Rasa reads it: nothing in data/nlu or the held-out files is skipped, no
held-out message is a training line, each intent's examples are in data/nlu/<intent>.yml (English ones in
data/nlu/english/<intent>.yml), and none twice."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
NLU_FILES = sorted((ROOT / "data" / "nlu").rglob("*.yml"))
HELD_OUT_FILES = sorted((ROOT / "tests").glob("nlu_holdout*.yml"))


def _blocks(path: Path) -> list[tuple[str, str]]:
    """(item name, examples text) of each intent, lookup, synonym or regex item of the file."""
    items = yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []
    named = []
    for item in items:
        name = next((str(item[key]) for key in ("intent", "lookup", "synonym", "regex") if key in item), "?")
        named.append((name, item.get("examples") or ""))
    return named


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", NLU_FILES + HELD_OUT_FILES, ids=_name)
def test_every_line_of_an_examples_block_is_an_example(path: Path) -> None:
    # Rasa skips any other line with a warning: a comment there is lost, and says nothing to trainers.
    stray = [(name, line) for name, text in _blocks(path)
             for line in text.splitlines() if line.strip() and not line.lstrip().startswith("- ")]
    assert stray == []


def test_no_held_out_message_is_a_training_line() -> None:
    from rasa.shared.nlu.training_data.loading import load_data

    training = {message.get("text") for message in load_data(str(ROOT / "data" / "nlu")).intent_examples}
    held_out = {message.get("text") for path in HELD_OUT_FILES for message in load_data(str(path)).intent_examples}
    assert sorted(held_out & training) == []


INTENT_FILES = [path for path in NLU_FILES if path.name not in {"synonyms.yml", "lookups.yml", "regex.yml"}]


@pytest.mark.parametrize("path", INTENT_FILES, ids=_name)
def test_an_intent_file_holds_that_intent_only(path: Path) -> None:
    # Trainers find an intent's examples in data/nlu/<intent>.yml (retrieval topics: product_inquiry/<topic>),
    # its English ones in data/nlu/english/<intent>.yml.
    intents = {name.split("/")[0] for name, _ in _blocks(path)}
    assert intents == {path.stem}


def test_english_files_sit_beside_their_intents_file() -> None:
    # data/nlu/english/ mirrors data/nlu/: one file per intent, no other folder level (switch_language's
    # data may live elsewhere, but not a second English folder).
    english = ROOT / "data" / "nlu" / "english"
    nested = [path for path in NLU_FILES if path.parent not in (ROOT / "data" / "nlu", english)]
    assert nested == []
    top = {path.stem for path in (ROOT / "data" / "nlu").glob("*.yml")}
    assert sorted(path.stem for path in english.glob("*.yml") if path.stem not in top) == []


def test_no_training_message_is_written_twice() -> None:
    # Twice under one intent weighs a message double; under two intents it contradicts itself.
    from collections import Counter

    from rasa.shared.nlu.training_data.loading import load_data

    texts = Counter(message.get("text") for message in load_data(str(ROOT / "data" / "nlu")).intent_examples)
    assert sorted(text for text, count in texts.items() if count > 1) == []

"""The stored CRF's files are copied for crfsuite without leaving a file handle open."""

from __future__ import annotations

import gc
import os
import warnings
from pathlib import Path

from addons.crf import _copy_to_temp, without_guesses_over_exact_words


def test_copying_a_tagger_file_closes_the_source(tmp_path: Path) -> None:
    source = tmp_path / "tagger.crfsuite"
    source.write_bytes(b"crfsuite model bytes")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)  # a file left open warns when it is freed
        copied = _copy_to_temp(source)
        gc.collect()
    assert [str(warning.message) for warning in caught if warning.category is ResourceWarning] == []
    try:
        assert Path(copied).read_bytes() == b"crfsuite model bytes"
    finally:
        os.unlink(copied)


def test_the_crfs_guess_over_exact_words_is_dropped() -> None:
    """"I want to return the vacuum flask": the lookup's "vacuum flask" (保温杯), not the CRF's "vacuum";
    "I don't like it": the reason pattern's no_reason, not the CRF's "'t like" (issue 35)."""
    crf = "StoredCRFEntityExtractor"
    flask = [{"entity": "product", "value": "保温杯", "start": 21, "end": 33, "extractor": "RegexEntityExtractor"},
             {"entity": "product", "value": "vacuum", "start": 21, "end": 27, "extractor": crf},
             {"entity": "language", "value": "en", "extractor": "LanguageDetector"}]
    assert [e["value"] for e in without_guesses_over_exact_words(flask, crf)] == ["保温杯", "en"]
    reason = [{"entity": "reason", "value": "no_reason", "start": 2, "end": 15, "extractor": "RegexEntityExtractor"},
              {"entity": "reason", "value": "'t like", "start": 5, "end": 12, "extractor": crf},
              {"entity": "product", "value": "T恤", "start": 16, "end": 18, "extractor": crf}]  # another kind: kept
    assert [e["value"] for e in without_guesses_over_exact_words(reason, crf)] == ["no_reason", "T恤"]
    alone = [{"entity": "product", "value": "耳机", "start": 0, "end": 2, "extractor": crf}]
    assert without_guesses_over_exact_words(alone, crf) == alone
    longer = [{"entity": "product", "value": "鞋", "start": 2, "end": 3, "extractor": "RegexEntityExtractor"},
              {"entity": "product", "value": "鞋子", "start": 2, "end": 4, "extractor": crf}]
    assert without_guesses_over_exact_words(longer, crf) == longer  # the guess names more: kept

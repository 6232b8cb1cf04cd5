"""The stored CRF's files are copied for crfsuite without leaving a file handle open."""

from __future__ import annotations

import gc
import os
import warnings
from pathlib import Path

from addons.crf import _copy_to_temp


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

"""`make help` names every target of the Makefile (a newcomer's first command)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_help_lists_every_target() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][a-z0-9-]*):(?!=)", makefile, flags=re.MULTILINE))
    shown = subprocess.run(["make", "--no-print-directory", "help"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout
    listed = set(re.findall(r"^make ([a-z][a-z0-9-]*)", shown, flags=re.MULTILINE))
    assert sorted(targets - listed) == []

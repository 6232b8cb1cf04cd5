"""`make shell` (scripts/rasa_quiet.py) opens Rasa's prompt without dependencies' deprecation warnings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What `rasa shell` does after the script's filters: Rasa configures its warnings (UserWarning "once"
# ahead of the rest), then loading the model imports matplotlib, whose font parser calls pyparsing's
# deprecated names (PyparsingDeprecationWarning: a DeprecationWarning and a UserWarning).
SHELL_STARTS = """
import logging, runpy, sys
sys.argv = ["rasa_quiet.py"]
runpy.run_path("scripts/rasa_quiet.py", run_name="loaded")
import rasa.__main__
rasa.__main__.configure_logging_and_warnings(logging.INFO)
import matplotlib.font_manager
"""


def shell_start(**env: str) -> str:
    done = subprocess.run([sys.executable, "-c", SHELL_STARTS], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **env}, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stderr


def test_no_deprecation_warning_before_the_prompt() -> None:
    assert "Warning" not in shell_start(XIAOER_SHOW_WARNINGS="0")


def test_xiaoer_show_warnings_shows_them_again() -> None:
    assert "PyparsingDeprecationWarning" in shell_start(XIAOER_SHOW_WARNINGS="1")

"""`rasa` without its dependencies' import-time deprecation warnings (about 40 lines before the shell
prompt: jax via TensorFlow, SQLAlchemy 2.0, pyparsing via matplotlib, TensorFlow's own log lines).

Sanic, which Rasa imports first, adds a filter that shows every DeprecationWarning once, ahead of
PYTHONWARNINGS; the filter here goes ahead of Sanic's. XIAOER_SHOW_WARNINGS=1 shows them all again.
Usage: .venv/bin/python scripts/rasa_quiet.py shell -m models/current.tar.gz ...
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable
from typing import Any

if os.environ.get("XIAOER_SHOW_WARNINGS") != "1":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    import sanic  # noqa: F401 - its "once" filter first, ours ahead of it

    warnings.filterwarnings("ignore", category=DeprecationWarning)

import rasa.__main__  # noqa: E402
from rasa.__main__ import main  # noqa: E402


def _quietly(configure: Callable[..., None]) -> Callable[..., None]:
    """Rasa's main() puts its own filters (UserWarning "once") ahead of ours; pyparsing's deprecation
    warnings (from matplotlib, imported later) are UserWarnings too, so ours goes ahead again after it."""

    def configure_then_quiet(*args: Any, **kwargs: Any) -> None:
        configure(*args, **kwargs)
        warnings.filterwarnings("ignore", category=DeprecationWarning)

    return configure_then_quiet


if os.environ.get("XIAOER_SHOW_WARNINGS") != "1":
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    rasa.__main__.configure_logging_and_warnings = _quietly(rasa.__main__.configure_logging_and_warnings)

if __name__ == "__main__":
    sys.exit(main())

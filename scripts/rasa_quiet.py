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

if os.environ.get("XIAOER_SHOW_WARNINGS") != "1":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    import sanic  # noqa: F401 - its "once" filter first, ours ahead of it

    warnings.filterwarnings("ignore", category=DeprecationWarning)

from rasa.__main__ import main  # noqa: E402

if os.environ.get("XIAOER_SHOW_WARNINGS") != "1":  # Rasa's own filters (UserWarning) went ahead again
    warnings.filterwarnings("ignore", category=DeprecationWarning)

if __name__ == "__main__":
    sys.exit(main())

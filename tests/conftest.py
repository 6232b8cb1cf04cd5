"""Fixtures every test folder may use: the project's domain, loaded once per test session."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def project_domain():  # noqa: ANN201 - rasa's Domain, imported late (Rasa's import is slow)
    """The domain in domain/, as Rasa loads it (tests must not change it)."""
    from rasa.shared.core.domain import Domain

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Rasa's note that slot auto-fill was removed in 3.0
        return Domain.load(str(ROOT / "domain"))

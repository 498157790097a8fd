from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def raw_file():
    """Make an in-memory upload from a name and text or bytes."""
    from genodash.io import RawFile

    def make(name: str, content: str | bytes) -> RawFile:
        return RawFile(name, content.encode() if isinstance(content, str) else content)

    return make


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Expose each phase's report on the test item (used to screenshot failed browser tests)."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report

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


def _devices_here() -> list[str]:
    """Devices torch can compute on here: always the CPU, then CUDA and MPS if present."""
    import torch  # only when a test asks for ``device``: conftest stays light

    found = ["cpu"]
    if torch.cuda.is_available():
        found.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.append("mps")
    return found


def pytest_generate_tests(metafunc):
    """Run each test that takes ``device`` once per device present (see :func:`device`)."""
    if "device" in metafunc.fixturenames:
        metafunc.parametrize("device", _devices_here(), indirect=True)


@pytest.fixture
def device(request) -> str:
    """A torch device name to compute on: "cpu" everywhere, plus "cuda" and "mps" where
    available, so the real GPU path runs on machines that have one (and nothing is
    skipped on those that do not)."""
    return request.param


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Expose each phase's report on the test item (used to screenshot failed browser tests)."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def small_motif_data():
    """300 planted-motif sequences of 30 bp (motif ACGTACGT): quick to train on."""
    from genodash.examples import planted_motif

    return planted_motif(n=300, length=30, motif="ACGTACGT", mutation_rate=0.0, seed=1)


@pytest.fixture(scope="session")
def small_prepared(small_motif_data):
    from genodash.train.sequence import prepare_sequences

    return prepare_sequences(small_motif_data, seed=0)


@pytest.fixture(scope="session")
def trained_cnn(small_prepared):
    """A CNN trained for a few epochs on ``small_prepared`` (shared by several tests)."""
    from genodash.train.loop import TrainConfig
    from genodash.train.sequence import train_sequence_model

    return train_sequence_model(
        small_prepared,
        "cnn",
        model_config={"filters": 16},
        train_config=TrainConfig(epochs=25, patience=0, seed=0),
    )


# --- real-browser fixtures (see browser_support.py) ---------------------------------------


@pytest.fixture(scope="module")
def browser():
    from browser_support import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, require_browser

    require_browser()
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def server(browser):
    from browser_support import Server

    started = Server()
    yield started
    started.stop()


@pytest.fixture
def page(browser, request):
    from browser_support import ARTIFACTS

    context = browser.new_context(viewport={"width": 1400, "height": 2000})
    tab = context.new_page()
    tab.set_default_timeout(90_000)
    yield tab
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        tab.screenshot(path=str(ARTIFACTS / f"FAILED-{request.node.name}.png"))
    context.close()

"""The shipped Streamlit configuration keeps a class server responsive."""

from __future__ import annotations

import tomllib

from conftest import ROOT

CONFIG = ROOT / ".streamlit" / "config.toml"


def test_no_full_garbage_collection_after_every_script_run() -> None:
    # each one-second progress refresh would otherwise hold the interpreter ~0.3 s: with 20
    # users training, no job finished within 15 minutes (bench/load_test.py)
    config = tomllib.loads(CONFIG.read_text())
    assert config["runner"]["postScriptGC"] is False


def test_errors_reach_users_without_tracebacks() -> None:
    client = tomllib.loads(CONFIG.read_text())["client"]
    assert client["showErrorDetails"] == "none"


def test_upload_limits_agree_and_fit_a_shared_server() -> None:
    from genodash.limits import MIB, Limits

    server = tomllib.loads(CONFIG.read_text())["server"]
    assert server["maxUploadSize"] * MIB == Limits().max_file_bytes == 512 * MIB
    assert server["maxMessageSize"] <= 200

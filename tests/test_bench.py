"""Every bench script runs as the README shows it, from any folder, without an install."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import ROOT

BENCHES = sorted(path.name for path in (ROOT / "bench").glob("*.py"))


@pytest.mark.parametrize("name", BENCHES)
def test_bench_script_answers_help_from_another_folder(name, tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / name), "--help"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith(f"usage: {name}")

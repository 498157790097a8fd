"""Rules of the code base that tests can enforce."""

from __future__ import annotations

import re
import subprocess
import sys

from conftest import ROOT

UNSAFE = re.compile(
    r"pickle\.loads?\(|joblib\.load\(|allow_pickle\s*=\s*True|(?<![.\w])eval\(|torch\.load\((?![^)]*weights_only=True)"
)


def test_library_never_imports_streamlit():
    code = (
        "import pkgutil, importlib, sys, genodash\n"
        "for m in pkgutil.walk_packages(genodash.__path__, 'genodash.'):\n"
        "    if m.name != 'genodash.__main__': importlib.import_module(m.name)\n"
        "print('streamlit' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_no_unsafe_deserialisation_anywhere():
    files = [
        *ROOT.glob("genodash/**/*.py"),
        *ROOT.glob("pages/*.py"),
        ROOT / "app.py",
        ROOT / "ui.py",
        *ROOT.glob("bench/*.py"),
    ]
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in files
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if UNSAFE.search(line)
    ]
    assert offenders == []


def test_unsafe_pattern_catches_what_it_should():
    assert UNSAFE.search("x = pickle.load(f)")
    assert UNSAFE.search("torch.load(path)")
    assert not UNSAFE.search("torch.load(path, weights_only=True)")
    assert UNSAFE.search("np.load(p, allow_pickle=True)")
    assert UNSAFE.search("x = eval(text)")
    assert not UNSAFE.search("model.eval()")


def test_omp_wait_policy_is_passive_before_torch():
    code = "import genodash, os; print(os.environ['OMP_WAIT_POLICY'])"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert result.stdout.strip() == "PASSIVE"

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
        *ROOT.glob("ui/*.py"),
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


# --- the layers, the thin pages and one home per concept -----------------------------------

# A module may import from its own layer and the layers above it in this list, never below.
LAYERS = (
    ("errors", "limits", "settings", "processes", "viewstate"),
    ("data", "encoding", "splits", "device", "motifs"),
    ("io", "examples", "summaries", "curse", "models", "expression"),
    (
        "train",
        "predict",
        "interpret",
        "expression.embedding_inputs",
        "expression.workbench",
        "atlas",
        "workspace",
    ),
    ("jobs", "plotting", "cli", "__main__", "lessons"),
)
HEAVY = ("torch", "scipy", "sklearn")
# where each concept lives: a definition (or an environment read) anywhere else fails
CONCEPT_HOMES = {
    r"def one_hot\(": "genodash/encoding.py",
    r"def one_hot_tensor\(": "genodash/encoding.py",
    r"def reverse_complement\(": "genodash/encoding.py",
    r"maketrans\(\s*\"ACGT": "genodash/encoding.py",
    r"def kept_window\(": "genodash/encoding.py",
    r"def map_batches\(": "genodash/predict.py",
    r"def predict_probabilities\(": "genodash/predict.py",
    r"def predict_sequences\(": "genodash/predict.py",
    r"def latent_for_run\(": "genodash/predict.py",
    r"def qc_metrics\(": "genodash/expression/qc.py",
    r"def detected_per_cell\(": "genodash/expression/qc.py",
    r"class Run\b": "genodash/train/runs.py",
    r"class ModelSpec\b": "genodash/models/registry.py",
    r"def models_of\(": "genodash/models/registry.py",
    r"environ(?:\.get)?[(\[]\s*f?[\"']GENODASH_": "genodash/limits.py",
    r"def param\(": "genodash/settings.py",
    r"def fit\(": "genodash/train/loop.py",
}


def _layer_of(module: str) -> int:
    """The layer of ``genodash.<module>`` (its longest listed prefix)."""
    best, found = -1, None
    for index, names in enumerate(LAYERS):
        for name in names:
            if (module == name or module.startswith(name + ".")) and len(name) > best:
                best, found = len(name), index
    assert found is not None, f"genodash.{module} is in no layer of LAYERS"
    return found


def _imports(path) -> list[str]:
    """Modules ``path`` imports (absolute imports; relative ones resolved)."""
    import ast

    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def _library_modules() -> dict[str, object]:
    return {
        ".".join(path.relative_to(ROOT / "genodash").with_suffix("").parts): path
        for path in sorted((ROOT / "genodash").rglob("*.py"))
        if path.name != "__init__.py" or path.parent != ROOT / "genodash"
    }


def _own(module: str) -> str:
    return module.removesuffix(".__init__")


def test_library_imports_only_from_its_own_layer_or_below():
    offenders = []
    for module, path in _library_modules().items():
        mine = _layer_of(_own(module))
        for imported in _imports(path):
            if not imported.startswith("genodash.") or imported.count(".") < 1:
                continue
            target = imported.removeprefix("genodash.")
            if target.split(".")[0] not in {n.split(".")[0] for layer in LAYERS for n in layer}:
                continue  # a name imported from genodash/__init__
            if _layer_of(target) > mine:
                offenders.append(f"genodash.{_own(module)} imports genodash.{target}")
    assert sorted(set(offenders)) == []


def test_the_layer_rule_catches_an_upward_import():
    assert _layer_of("train.workflows") > _layer_of("models.registry")
    assert _layer_of("jobs") > _layer_of("train.workflows")  # training never imports jobs
    assert _layer_of("expression.embedding_inputs") > _layer_of("expression.embed")


def _app_files():
    return [ROOT / "app.py", *sorted(ROOT.glob("pages/*.py")), *sorted(ROOT.glob("ui/*.py"))]


def test_pages_and_ui_never_import_torch_scipy_or_sklearn():
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _app_files()
        for name in _imports(path)
        if name.split(".")[0] in HEAVY
    ]
    assert offenders == []


# pages still over 300 lines, and the most each may have until it is slimmed further
OVER_300: dict[str, int] = {}


def test_pages_only_render():
    long = {
        path.name: n
        for path in sorted(ROOT.glob("pages/*.py"))
        if (n := len(path.read_text().splitlines())) > OVER_300.get(path.name, 300)
    }
    assert long == {}


def test_each_concept_has_one_home():
    import re

    files = [*(ROOT / "genodash").rglob("*.py"), *_app_files()]
    misplaced = [
        f"{pattern} in {path.relative_to(ROOT)} (its home: {home})"
        for pattern, home in CONCEPT_HOMES.items()
        for path in files
        if str(path.relative_to(ROOT)) != home and re.search(pattern, path.read_text())
    ]
    assert misplaced == []
    for pattern, home in CONCEPT_HOMES.items():  # and each home still holds its concept
        assert re.search(pattern, (ROOT / home).read_text()), f"{pattern} left {home}"


# --- docstrings: every module says what it owns, every public function its parameters -----


def docstring_gaps(path: str, source: str) -> list[str]:
    """What the docstrings of one module lack.

    Parameters
    ----------
    path
        The module's path relative to the repository root, e.g. ``genodash/data.py``;
        functions of a module with a ``_``-prefixed part (other than ``__init__.py``) are
        private and not checked.
    source
        The module's Python source.

    Returns
    -------
    ``"module docstring"`` when the module does not open with one, then ``"NAME()"`` for
    each public top-level function without a docstring, or with parameters and no
    numpydoc ``Parameters`` section naming each of them.
    """
    import ast
    from pathlib import PurePosixPath

    tree = ast.parse(source)
    gaps = [] if ast.get_docstring(tree) else ["module docstring"]
    if any(p.startswith("_") and p != "__init__.py" for p in PurePosixPath(path).parts):
        return gaps
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            arguments = node.args.args + node.args.kwonlyargs
            params = [a.arg for a in arguments if a.arg not in ("self", "cls")]
            doc = ast.get_docstring(node) or ""
            named = doc.partition("Parameters")[2]
            listed = r"^\s*(?:\**\w+,\s*)*\**{}\b"  # "x" or "x, y" on its own line
            unnamed = [n for n in params if not re.search(listed.format(n), named, re.M)]
            if not doc or (params and ("Parameters" not in doc or unnamed)):
                gaps.append(f"{node.name}()")
    return gaps


def _library_docstring_gaps() -> dict[str, list[str]]:
    found = {}
    for path in sorted((ROOT / "genodash").rglob("*.py")):
        name = path.relative_to(ROOT).as_posix()
        gaps = docstring_gaps(name, path.read_text())
        if gaps:
            found[name] = gaps
    return found


def test_every_module_and_public_function_is_documented():
    assert _library_docstring_gaps() == {}


def test_the_docstring_check_catches_a_gap():
    undocumented = '"""A module."""\n\ndef area(width, height):\n    """The area."""\n'
    assert docstring_gaps("genodash/shapes.py", undocumented) == ["area()"]
    documented = (
        '"""A module."""\n\ndef area(width):\n    """The area.\n\n    Parameters\n'
        '    ----------\n    width\n        In metres.\n    """\n\n'
        'def pi():\n    """3.14."""\n\ndef _helper(x):\n    pass\n'
    )
    assert docstring_gaps("genodash/shapes.py", documented) == []
    half = documented.replace("def area(width)", "def area(width, height)")
    assert docstring_gaps("genodash/shapes.py", half) == ["area()"]  # height is not named
    both = half.replace("    width\n", "    width, height\n")
    assert docstring_gaps("genodash/shapes.py", both) == []
    assert docstring_gaps("genodash/shapes.py", "def pi():\n    pass\n") == [
        "module docstring",
        "pi()",
    ]
    assert docstring_gaps("genodash/io/_worker.py", "def run(x):\n    pass\n") == [
        "module docstring"
    ]

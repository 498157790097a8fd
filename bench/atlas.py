"""Atlas scale: the out-of-core pipeline (``python -m genodash atlas``) against scanpy, in
memory and on dask arrays, on a simulated matrix like the course's 1.3 million cells.

Steps, each in its own process, whose peak resident memory (the whole process tree,
dask workers included, sampled every 0.2 s) is its own:

1. write the simulated matrix if it is missing (``python -m genodash simulate-atlas``);
2. genodash: ``python -m genodash atlas FILE --out RESULT`` on this machine's threads
   (the memory budget decides whether the matrix is read in blocks);
3. with ``--cluster``: the same command sent to a ``dask scheduler`` with one ``dask
   worker`` process of ``--cluster-workers`` single-thread workers, started here as the
   deployment guide says;
4. scanpy in memory on the same file: ``read_h5ad``, QC metrics, the same filters,
   ``normalize_total``, ``log1p``, ``highly_variable_genes`` (seurat), ``pca``,
   ``neighbors``, ``umap`` and ``leiden`` (igraph); it is stopped when its memory passes
   ``--scanpy-memory`` and the step it was in is reported;
5. scanpy on dask arrays (``anndata.experimental.read_elem_lazy``): the same steps up to
   PCA, then neighbours, UMAP and Leiden on the computed components;
6. quality on a random subsample of ``--quality-cells`` kept cells: kNN accuracy of the
   simulated cell types and trustworthiness of genodash's UMAP (out of core, on every cell)
   restricted to those cells, against genodash's in-memory path (preprocessing, PCA and
   UMAP) run on the subsample itself.

The baseline of the time and memory ratios is scanpy in memory (step 4).

Run: python bench/atlas.py [--cells 1000000] [--genes 5000] [--folder DIR] [--cluster]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as `python bench/NAME.py` from a fresh clone

RECIPE = {"min_genes": 200, "max_mito": 20.0, "min_cells": 3, "n_top_genes": 2000, "n_pcs": 50}


def _measured(command: list[str], limit_bytes: int | None = None) -> dict:
    """Run ``command``; its wall time, its process tree's peak resident memory, its output,
    and whether it was stopped for passing ``limit_bytes``."""
    import psutil

    started = time.perf_counter()
    child = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT
    )
    root, peak, stopped = psutil.Process(child.pid), 0, False
    while child.poll() is None:
        try:
            tree = [root, *root.children(recursive=True)]
            resident = sum(process.memory_info().rss for process in tree)
        except psutil.Error:
            resident = 0
        peak = max(peak, resident)
        if limit_bytes is not None and resident > limit_bytes:
            child.send_signal(signal.SIGKILL)
            stopped = True
        time.sleep(0.2)
    out, err = child.communicate()
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "peak_rss_gb": round(peak / 1e9, 2),
        "returncode": child.returncode,
        "stopped_at_memory_limit": stopped,
        "stdout": out,
        "stderr": err,
    }


def _last_json(text: str) -> dict:
    lines = [line for line in text.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else {}


def _generate(path: Path, cells: int, genes: int) -> None:
    if path.exists():
        print(f"using {path} ({path.stat().st_size / 1e9:.1f} GB)", flush=True)
        return
    command = [sys.executable, "-m", "genodash", "simulate-atlas", str(path)]
    run = _measured([*command, "--cells", str(cells), "--genes", str(genes)])
    if run["returncode"] != 0:
        raise SystemExit(f"simulate-atlas failed:\n{run['stderr'][-2000:]}")
    print(f"wrote {path}: {run['seconds']} s, {path.stat().st_size / 1e9:.1f} GB", flush=True)


def _atlas_command(path: Path, out: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "genodash",
        "atlas",
        str(path),
        "--out",
        str(out),
        "--min-genes",
        str(RECIPE["min_genes"]),
        "--max-mito",
        str(RECIPE["max_mito"]),
        "--min-cells",
        str(RECIPE["min_cells"]),
        "--n-top-genes",
        str(RECIPE["n_top_genes"]),
        "--n-pcs",
        str(RECIPE["n_pcs"]),
        *extra,
    ]


def _genodash(path: Path, out: Path, *extra: str) -> dict:
    run = _measured(_atlas_command(path, out, *extra))
    if run["returncode"] != 0:
        return {**run, "error": run["stderr"][-1500:]}
    summary = _last_json(run["stdout"])
    return {**run, "summary": summary, "steps": summary.get("seconds", {})}


def _on_cluster(path: Path, out: Path, workers: int, folder: Path) -> dict:
    """The atlas command sent to a scheduler and workers started as DEPLOY.md says."""
    scheduler_file = folder / "scheduler.json"
    scheduler_file.unlink(missing_ok=True)
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    scheduler = subprocess.Popen(
        [
            *dask,
            "--scheduler-file",
            str(scheduler_file),
            "--port",
            "0",
            "--dashboard-address",
            ":0",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    worker = None
    try:
        while not scheduler_file.exists():
            time.sleep(0.2)
        address = json.loads(scheduler_file.read_text())["address"]
        worker_command = [sys.executable, "-m", "distributed.cli.dask_worker", address]
        worker = subprocess.Popen(
            [*worker_command, "--nworkers", str(workers), "--nthreads", "1", "--no-dashboard"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "OMP_NUM_THREADS": "1"},
        )
        time.sleep(5)
        peak, done = {"gb": 0.0}, threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak["gb"] = max(peak["gb"], _tree_rss_gb(worker.pid))
                time.sleep(0.5)

        threading.Thread(target=sample, daemon=True).start()
        result = _genodash(path, out, "--scheduler", address)
        done.set()
        result["worker_peak_rss_gb"] = peak["gb"]
        print(f"dask workers' peak resident memory: {peak['gb']} GB", flush=True)
        return result
    finally:
        for process in (worker, scheduler):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)


def _tree_rss_gb(pid: int) -> float:
    import psutil

    try:
        root = psutil.Process(pid)
        return round(sum(p.memory_info().rss for p in [root, *root.children(True)]) / 1e9, 2)
    except psutil.Error:
        return 0.0


def _scanpy(path: Path, mode: str, limit_bytes: int) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", mode, str(path)]
    run = _measured(command, limit_bytes)
    steps = [json.loads(line) for line in run["stderr"].splitlines() if line.startswith("{")]
    done = {step["step"]: step["seconds"] for step in steps if "seconds" in step}
    started = [step["step"] for step in steps if "start" in step]
    unfinished = [name for name in started if name not in done]
    failure = None
    if run["returncode"] != 0:
        failure = "stopped at the memory limit" if run["stopped_at_memory_limit"] else "failed"
        tail = [line for line in run["stderr"].splitlines() if not line.startswith("{")][-3:]
        failure = f"{failure} during {unfinished[-1] if unfinished else '?'}: {' '.join(tail)}"
    return {**run, "steps": done, "failure": failure}


# --- the child processes ------------------------------------------------------------------


def _step(name: str, action: object) -> object:
    print(json.dumps({"step": name, "start": True}), file=sys.stderr, flush=True)
    started = time.perf_counter()
    value = action()
    seconds = round(time.perf_counter() - started, 1)
    print(json.dumps({"step": name, "seconds": seconds}), file=sys.stderr, flush=True)
    return value


def _scanpy_child(path: Path, lazy: bool) -> None:
    import anndata as ad
    import numpy as np
    import scanpy as sc

    if lazy:
        import h5py
        from anndata.experimental import read_elem_lazy
        from anndata.io import read_elem

        handle = h5py.File(path, "r")

        def read() -> ad.AnnData:
            X = read_elem_lazy(handle["X"], chunks=(20_000, -1))
            return ad.AnnData(X=X, obs=read_elem(handle["obs"]), var=read_elem(handle["var"]))

    else:

        def read() -> ad.AnnData:
            return ad.read_h5ad(path)

    adata = _step("read", read)
    if not lazy:
        _same_index_dtypes(adata.X)
    adata.var["mt"] = adata.var_names.str.startswith(("MT-", "mt-"))

    def qc() -> ad.AnnData:
        sc.pp.calculate_qc_metrics(adata, qc_vars=["mt"], inplace=True, percent_top=None)
        keep = (adata.obs["n_genes_by_counts"] >= RECIPE["min_genes"]) & (
            adata.obs["pct_counts_mt"] <= RECIPE["max_mito"]
        )
        kept = adata[keep.to_numpy()].copy()
        sc.pp.filter_genes(kept, min_cells=RECIPE["min_cells"])
        return kept

    adata = _step("qc", qc)
    _step("normalize", lambda: (sc.pp.normalize_total(adata), sc.pp.log1p(adata)))
    _step(
        "highly_variable_genes",
        lambda: sc.pp.highly_variable_genes(
            adata, flavor="seurat", n_top_genes=RECIPE["n_top_genes"], subset=True
        ),
    )

    def pca() -> None:
        sc.pp.pca(adata, n_comps=RECIPE["n_pcs"])
        if lazy:
            adata.obsm["X_pca"] = np.asarray(adata.obsm["X_pca"].compute())

    _step("pca", pca)
    _step("neighbors", lambda: sc.pp.neighbors(adata, n_neighbors=15, use_rep="X_pca"))
    _step("umap", lambda: sc.tl.umap(adata))
    _step("leiden", lambda: sc.tl.leiden(adata, flavor="igraph", n_iterations=2))


def _same_index_dtypes(X: object) -> None:
    """scipy's routines (``eliminate_zeros`` in scanpy's QC) refuse a CSR matrix whose
    indices and pointers differ in type, as written by 10x and the simulator (int32 indices,
    int64 pointers); give both the smallest type that holds them."""
    import numpy as np

    if X.indptr.dtype != X.indices.dtype:
        dtype = np.int32 if X.nnz < 2**31 else np.int64
        X.indptr, X.indices = X.indptr.astype(dtype), X.indices.astype(dtype)


def _quality_child(result_path: Path, cells: int) -> None:
    """genodash's out-of-core embedding on a subsample against the in-memory path run on
    that subsample; prints one JSON line."""
    import anndata as ad
    import numpy as np

    from genodash.atlas.result import open_atlas_result
    from genodash.data import MatrixSet
    from genodash.expression.embed import EmbeddingConfig, embed, principal_components
    from genodash.expression.preprocess import PreprocessConfig, preprocess
    from genodash.expression.scores import knn_accuracy, trustworthiness
    from genodash.io.backed import open_backed

    result = open_atlas_result(result_path)
    rng = np.random.default_rng(0)
    picked = np.sort(rng.choice(result.n_cells, size=min(cells, result.n_cells), replace=False))
    labels = result.obs[result.label_column].astype(str).to_numpy()[picked]
    out_of_core = {
        "knn_accuracy": knn_accuracy(result.umap[picked], labels),
        "trustworthiness": trustworthiness(result.pca[picked], result.umap[picked]),
    }
    backed = open_backed(result.source)
    rows = result.obs["source_row"].to_numpy()[picked]
    X = backed.read_rows(0, backed.n_cells)[rows] if backed.nnz < 3e8 else _rows(backed, rows)
    adata = ad.AnnData(X=X, obs=result.obs.iloc[picked][[result.label_column]].copy())
    adata.var_names = backed.var_names()
    matrix = MatrixSet(adata, "subsample", "h5ad", label_column=result.label_column)
    recipe = PreprocessConfig(
        min_genes_per_cell=0, max_mito_percent=100.0, min_cells_per_gene=RECIPE["min_cells"]
    )
    processed = preprocess(matrix, recipe)
    pcs, _ = principal_components(processed.adata.X, RECIPE["n_pcs"])
    layout = embed(pcs, EmbeddingConfig(method="umap")).coords
    in_memory = {
        "knn_accuracy": knn_accuracy(layout, labels),
        "trustworthiness": trustworthiness(pcs, layout),
    }
    print(json.dumps({"cells": len(picked), "out_of_core": out_of_core, "in_memory": in_memory}))


def _rows(backed: object, rows: object) -> object:
    import scipy.sparse

    wanted, parts = set(rows.tolist()), []
    for start, stop, block in backed.blocks():
        inside = [row - start for row in range(start, stop) if row in wanted]
        if inside:
            parts.append(block[inside])
    return scipy.sparse.vstack(parts).tocsr()


# --- the report -----------------------------------------------------------------------------


def _table(runs: dict[str, dict]) -> None:
    steps = ["read", "qc", "normalize", "highly_variable_genes", "pca", "neighbors", "umap"]
    steps.append("leiden")
    names = list(runs)
    print("\n| step | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for step in [*steps, "write"]:
        cells = []
        for name in names:
            value = runs[name].get("steps", {}).get(step)
            if step == "read" and value is None:
                value = runs[name].get("steps", {}).get("open")
            cells.append("–" if value is None else f"{value:,.1f}")
        print(f"| {step} | " + " | ".join(cells) + " |")
    print("| **wall (s)** | " + " | ".join(f"{runs[n]['seconds']:,.1f}" for n in names) + " |")
    print("| **peak RSS (GB)** | " + " | ".join(f"{runs[n]['peak_rss_gb']}" for n in names) + " |")
    for name in names:
        if runs[name].get("failure") or runs[name].get("error"):
            print(f"- {name}: {runs[name].get('failure') or runs[name].get('error')}")
    base = runs.get("scanpy in memory")
    if base and not base.get("failure"):
        for name in names:
            ratio = runs[name]["seconds"] / base["seconds"]
            memory = runs[name]["peak_rss_gb"] / max(base["peak_rss_gb"], 1e-9)
            print(f"- {name} / scanpy in memory: time {ratio:.2f}, peak memory {memory:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", type=int, default=1_000_000)
    parser.add_argument("--genes", type=int, default=5000)
    parser.add_argument("--folder", type=Path, default=Path("/tmp/genodash-atlas-bench"))
    parser.add_argument("--memory-budget", default=None, help="passed to atlas (default: its own)")
    parser.add_argument("--cluster", action="store_true", help="also run on a dask scheduler")
    parser.add_argument("--cluster-workers", type=int, default=2)
    parser.add_argument("--scanpy-memory", type=float, default=14.0, help="GB (default 14)")
    parser.add_argument("--skip-threads", action="store_true", help="no local run")
    parser.add_argument("--skip-scanpy", action="store_true")
    parser.add_argument("--skip-dask-scanpy", action="store_true")
    parser.add_argument("--quality-cells", type=int, default=20_000)
    parser.add_argument("--child", choices=("scanpy", "scanpy-dask", "quality"), help="internal")
    parser.add_argument("child_path", nargs="?", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child in ("scanpy", "scanpy-dask"):
        _scanpy_child(args.child_path, lazy=args.child == "scanpy-dask")
        return
    if args.child == "quality":
        _quality_child(args.child_path, args.quality_cells)
        return
    args.folder.mkdir(parents=True, exist_ok=True)
    path = args.folder / f"atlas-{args.cells}x{args.genes}.h5ad"
    _generate(path, args.cells, args.genes)
    budget = ("--memory-budget", args.memory_budget) if args.memory_budget else ()
    runs: dict[str, dict] = {}
    out = args.folder / f"result-{args.cells}x{args.genes}.h5ad"
    if not args.skip_threads:
        runs["genodash atlas"] = _genodash(path, out, *budget)
        print(json.dumps(runs["genodash atlas"].get("summary", {})), flush=True)
    if args.cluster:
        cluster_out = args.folder / f"result-cluster-{args.cells}x{args.genes}.h5ad"
        runs["genodash on dask scheduler"] = _on_cluster(
            path, cluster_out, args.cluster_workers, args.folder
        )
    limit = int(args.scanpy_memory * 1e9)
    if not args.skip_scanpy:
        runs["scanpy in memory"] = _scanpy(path, "scanpy", limit)
    if not args.skip_dask_scanpy:
        runs["scanpy on dask"] = _scanpy(path, "scanpy-dask", limit)
    _table(runs)
    if out.exists():
        quality_command = [sys.executable, str(Path(__file__).resolve()), "--child", "quality"]
        quality = _measured(
            [*quality_command, str(out), "--quality-cells", str(args.quality_cells)]
        )
        print("\nquality on a subsample:", quality["stdout"].strip() or quality["stderr"][-1500:])


if __name__ == "__main__":
    main()

"""Speed of the expression pipeline: scanpy's defaults against genodash's path.

For each size, simulated counts (cell types, batches) are written once; then two fresh
child processes read them and run, side by side:

(a) scanpy's defaults: normalize_total, log1p, highly_variable_genes(n_top_genes=2000,
    subset), scale, tl.pca (arpack), pp.neighbors, tl.umap;
(b) genodash: preprocess() with its defaults (no scaling), pca_coordinates(50),
    embed(umap) on the PCs.

Each child first pays the numba compilation of neighbours/UMAP on 4,200 random points
(reported as "warm-up"), then times every step; scanpy's first ``neighbors`` call on the
real data still compiles for a long time, so it runs twice and the second, warm call is
the step (the difference counts as warm-up). Peak resident memory comes from /proc (the
high-water mark is reset after loading, so it covers the steps).
Quality is scored in this process on the same 3,000-cell subsample for both: kNN accuracy
of the cell types and trustworthiness against the log-normalized variable genes of (b).
A third child times t-SNE at 10,000 cells and UMAP at 20,000 cells (seeded and parallel)
after warm-up. Prints figures; asserts nothing.

    python bench/expression_speed.py --cells 10000 100000
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np


def _status_mb(field: str) -> float | None:
    """A memory figure of this process from /proc (Linux), in MB."""
    try:
        lines = Path("/proc/self/status").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return None


def _peak_rss_mb() -> float:
    # getrusage's maxrss survives exec, so a child would report its parent's peak
    peak = _status_mb("VmHWM")
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _loaded() -> float:
    """Resident memory now, then restart the peak count (Linux: clear_refs 5)."""
    current = _status_mb("VmRSS") or 0.0
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")
    return round(current, 1)


class _Clock:
    def __init__(self) -> None:
        self.steps: dict[str, float] = {}

    def time(self, name: str, function, *args, **kwargs):
        started = time.perf_counter()
        result = function(*args, **kwargs)
        self.steps[name] = round(time.perf_counter() - started, 3)
        return result


# --- children -----------------------------------------------------------------------------


def _warm_scanpy() -> float:
    import anndata
    import scanpy as sc

    started = time.perf_counter()
    small = anndata.AnnData(np.zeros((4200, 1), dtype=np.float32))
    small.obsm["X_pca"] = np.random.default_rng(0).normal(size=(4200, 50)).astype(np.float32)
    sc.pp.neighbors(small, use_rep="X_pca")
    sc.tl.umap(small, maxiter=10)
    return time.perf_counter() - started


def child_scanpy(path: str, coords_out: str) -> dict:
    import anndata
    import scanpy as sc

    warm = _warm_scanpy()
    adata = anndata.read_h5ad(path)
    loaded_rss = _loaded()
    clock = _Clock()
    clock.time("normalize_total", sc.pp.normalize_total, adata, target_sum=1e4)
    clock.time("log1p", sc.pp.log1p, adata)
    clock.time("hvg", sc.pp.highly_variable_genes, adata, n_top_genes=2000, subset=True)
    clock.time("scale", sc.pp.scale, adata, max_value=10)
    clock.time("pca", sc.tl.pca, adata)
    # the first call compiles more numba code at this data size, even after the warm-up:
    # count only the second, warm call as the step and the difference as warm-up
    first = _Clock()
    first.time("neighbors", sc.pp.neighbors, adata)
    clock.time("neighbors", sc.pp.neighbors, adata)
    clock.time("umap", sc.tl.umap, adata)
    adata.obsm["X_umap"].astype(np.float32).tofile(coords_out)
    warm += first.steps["neighbors"] - clock.steps["neighbors"]
    return {"warm_up": round(warm, 2), "steps": clock.steps, "loaded_rss_mb": loaded_rss}


def child_genodash(path: str, coords_out: str) -> dict:
    import anndata
    import scanpy  # noqa: F401  (imported before timing, as in the scanpy child)

    from genodash.data import MatrixSet
    from genodash.expression.embed import EmbeddingConfig, embed, pca_coordinates, warm_umap
    from genodash.expression.preprocess import preprocess

    warm = warm_umap()
    matrix = MatrixSet(anndata.read_h5ad(path), "bench", "h5ad", value_type="counts")
    loaded_rss = _loaded()
    clock = _Clock()
    processed = clock.time("preprocess", preprocess, matrix)
    pcs = clock.time("pca", pca_coordinates, processed.adata.X, 50)
    result = clock.time("umap", embed, pcs, EmbeddingConfig(method="umap"), input_name="pca")
    result.coords.astype(np.float32).tofile(coords_out)
    return {"warm_up": round(warm, 2), "steps": clock.steps, "loaded_rss_mb": loaded_rss}


def child_singles(path: str, _coords_out: str) -> dict:
    import anndata

    from genodash.data import MatrixSet
    from genodash.expression.embed import EmbeddingConfig, embed, pca_coordinates, warm_umap
    from genodash.expression.preprocess import preprocess

    warm = warm_umap()
    adata = anndata.read_h5ad(path)
    matrix = MatrixSet(adata[: min(20_000, adata.n_obs)].copy(), "bench", "h5ad")
    pcs = pca_coordinates(preprocess(matrix).adata.X, 50)
    figures: dict[str, float | int] = {"warm_up": round(warm, 2), "n_umap": len(pcs)}
    for layout in ("reproducible", "parallel"):
        config = EmbeddingConfig(method="umap", umap_layout=layout)
        key = "umap_seeded" if layout == "reproducible" else "umap_parallel"
        figures[key] = round(embed(pcs, config).seconds, 2)
    small = pcs[: min(10_000, len(pcs))]
    figures["n_tsne"] = len(small)
    figures["tsne"] = round(embed(small, EmbeddingConfig(method="tsne")).seconds, 2)
    return figures


CHILDREN = {"scanpy": child_scanpy, "genodash": child_genodash, "singles": child_singles}


def _run_child(kind: str, path: Path, coords_out: Path) -> dict:
    command = [sys.executable, __file__, "--child", kind, str(path), str(coords_out)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{kind} child failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- parent -------------------------------------------------------------------------------


def _write_data(n_cells: int, n_genes: int, folder: Path) -> tuple[Path, float]:
    from genodash.examples import simulated_counts

    started = time.perf_counter()
    matrix = simulated_counts(n_cells=n_cells, n_genes=n_genes, n_types=8, seed=0)
    path = folder / f"counts_{n_cells}.h5ad"
    matrix.adata.write_h5ad(path)
    return path, time.perf_counter() - started


def _quality(path: Path, coords: dict[str, np.ndarray]) -> dict[str, dict]:
    import anndata

    from genodash.data import MatrixSet
    from genodash.expression.preprocess import preprocess
    from genodash.expression.scores import embedding_scores

    adata = anndata.read_h5ad(path)
    reference = preprocess(MatrixSet(adata, "bench", "h5ad")).adata
    labels = reference.obs["cell_type"].astype(str).to_numpy()
    scores = {}
    for name, points in coords.items():
        found = embedding_scores(reference.X, points, labels=labels, max_cells=3000, seed=0)
        scores[name] = {
            key: round(found[key], 3) for key in ("knn_accuracy", "trustworthiness", "silhouette")
        }
    return scores


def bench(n_cells: int, n_genes: int, folder: Path) -> dict:
    path, generated = _write_data(n_cells, n_genes, folder)
    print(f"\n=== {n_cells:,} cells × {n_genes:,} genes (generated in {generated:.1f} s)")
    results, coords = {}, {}
    for kind in ("scanpy", "genodash"):
        out = folder / f"{kind}_{n_cells}.f32"
        started = time.perf_counter()
        results[kind] = _run_child(kind, path, out)
        results[kind]["wall"] = round(time.perf_counter() - started, 1)
        coords[kind] = np.fromfile(out, dtype=np.float32).reshape(n_cells, 2)
        _print_pipeline(kind, results[kind])
    totals = {kind: sum(r["steps"].values()) for kind, r in results.items()}
    ratio = totals["genodash"] / totals["scanpy"]
    print(f"  total (warm): scanpy {totals['scanpy']:.1f} s, genodash {totals['genodash']:.1f} s")
    print(f"  ratio genodash / scanpy: {ratio:.2f}")
    quality = _quality(path, coords)
    for kind, found in quality.items():
        print(f"  quality {kind:9s}: {found}")
    singles = _run_child("singles", path, folder / "unused")
    print(
        f"  after warm-up: UMAP of {singles['n_umap']:,} cells {singles['umap_seeded']} s seeded "
        f"(single thread), {singles['umap_parallel']} s parallel; t-SNE of "
        f"{singles['n_tsne']:,} cells {singles['tsne']} s"
    )
    return {
        "n_cells": n_cells,
        "n_genes": n_genes,
        "pipelines": results,
        "totals": totals,
        "ratio": round(ratio, 3),
        "quality": quality,
        "singles": singles,
    }


def _print_pipeline(kind: str, result: dict) -> None:
    steps = ", ".join(f"{name} {seconds:.2f}" for name, seconds in result["steps"].items())
    print(
        f"  {kind:9s} warm-up {result['warm_up']:.1f} s | {steps} | resident after loading "
        f"{result['loaded_rss_mb']:,.0f} MB, peak during the steps {result['peak_rss_mb']:,.0f} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", type=int, nargs="+", default=[10_000])
    parser.add_argument("--genes", type=int, default=3000)
    parser.add_argument("--child", nargs=3, metavar=("KIND", "DATA", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, data, out = args.child
        result = CHILDREN[kind](data, out)
        result["peak_rss_mb"] = round(_peak_rss_mb(), 1)
        print(json.dumps(result))
        return
    summaries = []
    with tempfile.TemporaryDirectory(prefix="genodash-bench-") as folder:
        for n_cells in args.cells:
            summaries.append(bench(n_cells, args.genes, Path(folder)))
    print(json.dumps(summaries))


if __name__ == "__main__":
    main()

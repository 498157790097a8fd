"""The graph steps run in worker processes give what they give in this process."""

from __future__ import annotations

import numpy as np
import pytest

from genodash.atlas.graph_worker import GraphSteps, load_array, save_array
from genodash.errors import WorkerFailed
from genodash.processes import resident_bytes

STEPS = (
    ("neighbors", {"n_neighbors": 11, "seed": 0}),
    ("umap", {"k": 10, "epochs": 10, "seed": 0}),
    ("leiden", {"k": 10, "resolution": 1.0, "seed": 0}),
)


@pytest.fixture(scope="module")
def pcs():
    rng = np.random.default_rng(0)
    groups = rng.integers(0, 4, 600)
    return (rng.normal(size=(600, 10)) + 4.0 * groups[:, None]).astype(np.float32)


def _run(graph: GraphSteps, pcs: np.ndarray, *, umap: bool) -> GraphSteps:
    graph.put("pcs", pcs)
    for step, settings in STEPS:
        if umap or step != "umap":
            graph.run(step, **settings)
    return graph


@pytest.fixture(scope="module")
def both(pcs, tmp_path_factory):
    here = _run(GraphSteps(), pcs, umap=False)  # a parallel UMAP varies per run anyway
    away = _run(GraphSteps(tmp_path_factory.mktemp("graph")), pcs, umap=True)
    return here, away


def test_workers_find_the_same_neighbours_and_clusters(both):
    here, away = both
    for name in ("indices", "distances", "clusters"):
        assert np.array_equal(here.get(name), away.get(name)), name
    assert away.get("umap").shape == (600, 2)
    assert np.isfinite(away.get("umap")).all()
    assert len(np.unique(away.get("clusters"))) >= 4


def test_the_peak_counts_this_process_and_the_worker(both):
    here, away = both
    assert here.peak_bytes == 0  # no worker ran
    assert away.peak_bytes > resident_bytes()


def test_a_failing_step_is_a_clear_error(tmp_path):
    graph = GraphSteps(tmp_path)
    with pytest.raises(WorkerFailed, match="the leiden step failed: .*indices"):
        graph.run("leiden", k=10, resolution=1.0, seed=0)  # no neighbours found yet


def test_arrays_come_back_as_they_were_saved(tmp_path):
    array = np.arange(12, dtype=np.int32).reshape(3, 4)[:, 1:]
    save_array(tmp_path, "a", array)
    back = load_array(tmp_path, "a")
    assert back.dtype == np.int32
    assert np.array_equal(back, array)

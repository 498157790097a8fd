"""The atlas pipeline's graph steps (neighbours, UMAP, Leiden), each in a process of its own
when the matrix is read out of core.

At 1.3 million cells these steps need a few GB for a few minutes each, and a process that
has held that much does not hand it all back to the system, even with ``malloc_trim``
between steps. Run in the pipeline's process, each step's peak came on top of what the
earlier ones left: 2.52 GB after the neighbours, 3.44 GB after UMAP, 4.83 GB in Leiden.
Each in a worker (measured on the simulated 1,262,505 kept cells × 50 components): the
pipeline's process held 0.43 GB while it waited, the workers peaked at about 2.2 GB
(neighbours), 3.0 GB (UMAP) and 2.6 GB (Leiden), and the whole command at 3.44 GB. Each
step here runs in a fresh worker
(``python -m genodash.atlas.graph_worker STEP FOLDER``, started by
:func:`genodash.processes.start_worker`, never by ``multiprocessing``), which reads its
arrays from a folder (safetensors files, no pickle), writes what it finds there and ends, so
its memory is returned when the step ends and the pipeline's process holds only what it
keeps. The settings go over the pipe as JSON; the reply (JSON too) gives the worker's peak
resident memory, which the pipeline counts in its own peak.

The functions are the in-memory ones (:func:`~genodash.expression.embed.neighbor_graph`,
:func:`~genodash.expression.embed.umap_from_neighbors`,
:func:`~genodash.expression.cluster.leiden_from_edges`); only where they run changes.
Small matrices run the same steps in the calling process (:class:`GraphSteps` with no
folder).
"""

from __future__ import annotations

import json
import resource
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from genodash.errors import WorkerFailed
from genodash.expression.cluster import leiden_from_edges
from genodash.expression.embed import neighbor_graph, umap_from_neighbors
from genodash.processes import release_free_memory, resident_bytes, start_worker, worker_pipes


def neighbors_step(pcs: np.ndarray, *, n_neighbors: int, seed: int) -> dict[str, np.ndarray]:
    """Each cell's nearest cells on the components, itself first (the lean search).

    Parameters
    ----------
    pcs
        Cells × components, float32.
    n_neighbors
        Neighbours per cell, the cell itself counted.
    seed
        Seed of the approximate search.

    Returns
    -------
    dict
        ``indices`` and ``distances``, each cells × ``n_neighbors``.
    """
    indices, distances = neighbor_graph(pcs, n_neighbors, seed, lean=True)
    return {"indices": indices, "distances": distances}


def umap_step(
    pcs: np.ndarray,
    indices: np.ndarray,
    distances: np.ndarray,
    *,
    k: int,
    epochs: int,
    seed: int,
) -> dict[str, np.ndarray]:
    """The 2-D layout from the first ``k`` neighbours of each cell (itself included).

    Parameters
    ----------
    pcs
        Cells × components, float32.
    indices, distances
        What :func:`neighbors_step` found.
    k
        Neighbours per cell given to UMAP, the cell itself counted.
    epochs
        Layout epochs.
    seed
        Seed of the PCA start.

    Returns
    -------
    dict
        ``umap``: cells × 2, float32.
    """
    layout = umap_from_neighbors(pcs, indices[:, :k], distances[:, :k], n_epochs=epochs, seed=seed)
    return {"umap": layout}


def leiden_step(
    indices: np.ndarray, *, k: int, resolution: float, seed: int, folder: str | None = None
) -> dict[str, np.ndarray]:
    """Leiden clusters of the graph joining each cell to its ``k`` nearest other cells.

    Parameters
    ----------
    indices
        What :func:`neighbors_step` found (each cell itself first).
    k
        Neighbours per cell in the graph, the cell itself not counted.
    resolution
        Leiden's resolution.
    seed
        Seed of Leiden's random choices.
    folder
        Where igraph's edge list is written; ``None``: the system's temporary folder.

    Returns
    -------
    dict
        ``clusters``: one number per cell, 0 for the largest cluster, 1 for the next…
    """
    n_cells = indices.shape[0]
    edges = np.empty((n_cells * k, 2), dtype=np.int64)
    edges[:, 0] = np.repeat(np.arange(n_cells), k)
    edges[:, 1] = indices[:, 1 : k + 1].ravel()
    where = None if folder is None else Path(folder)
    clusters = leiden_from_edges(n_cells, edges, resolution, seed, folder=where)
    return {"clusters": clusters.astype(np.int64)}


@dataclass(frozen=True)
class _Step:
    function: Callable[..., dict[str, np.ndarray]]
    inputs: tuple[str, ...]


STEPS = {
    "neighbors": _Step(neighbors_step, ("pcs",)),
    "umap": _Step(umap_step, ("pcs", "indices", "distances")),
    "leiden": _Step(leiden_step, ("indices",)),
}


@dataclass
class GraphSteps:
    """Where the graph steps run and the arrays they pass on.

    With a ``folder``, arrays live there (:func:`save_array`) and each step runs in a worker
    process of its own; without one, they live in memory and the steps run here.

    Attributes
    ----------
    folder
        A private, empty folder for the arrays, or ``None``.
    peak_bytes
        The most resident memory this process and a step's worker held together (0 until a
        worker has run): this process's resident memory while it waited plus the worker's
        peak.
    """

    folder: Path | None = None
    peak_bytes: int = 0
    _arrays: dict[str, np.ndarray] = field(default_factory=dict)

    def put(self, name: str, array: np.ndarray) -> None:
        """Hand ``array`` over as ``name`` (written to the folder, if there is one).

        Parameters
        ----------
        name
            The name the steps know it by.
        array
            Numbers.
        """
        if self.folder is None:
            self._arrays[name] = array
        else:
            save_array(self.folder, name, array)

    def get(self, name: str) -> np.ndarray:
        """The array called ``name``.

        Parameters
        ----------
        name
            As given to :meth:`put` or made by a step.
        """
        if self.folder is None:
            return self._arrays[name]
        return load_array(self.folder, name)

    def run(self, step: str, **settings: Any) -> None:
        """Run ``step`` (a key of :data:`STEPS`) on its input arrays; its outputs join them.

        Parameters
        ----------
        step
            ``"neighbors"``, ``"umap"`` or ``"leiden"``.
        settings
            The step function's keyword arguments (numbers).

        Raises
        ------
        WorkerFailed
            The worker reported an error or ended without a reply.
        """
        if self.folder is None:
            spec = STEPS[step]
            self._arrays.update(spec.function(*map(self.get, spec.inputs), **settings))
            return
        release_free_memory()  # what this process holds while it waits is counted
        waiting = resident_bytes()
        worker = start_worker("genodash.atlas.graph_worker", step, str(self.folder))
        try:
            worker.requests.send_bytes(json.dumps(settings).encode())
            reply = json.loads(worker.replies.recv_bytes())
        except (EOFError, OSError) as err:
            raise WorkerFailed(
                f"the {step} step's worker process ended without finishing, most likely out "
                "of memory; free memory on this machine or run on a larger one"
            ) from err
        finally:
            worker.stop()
        if "error" in reply:
            raise WorkerFailed(f"the {step} step failed: {reply['error']}")
        self.peak_bytes = max(self.peak_bytes, waiting + reply["peak_memory_bytes"])


def save_array(folder: Path, name: str, array: np.ndarray) -> None:
    """Write ``array`` to ``folder/NAME.safetensors``.

    Parameters
    ----------
    folder
        The steps' folder.
    name
        The array's name.
    array
        Numbers (any shape).
    """
    from safetensors.numpy import save_file

    save_file({name: np.ascontiguousarray(array)}, folder / f"{name}.safetensors")


def load_array(folder: Path, name: str) -> np.ndarray:
    """The array :func:`save_array` wrote as ``name`` in ``folder``.

    Parameters
    ----------
    folder
        The steps' folder.
    name
        The array's name.
    """
    from safetensors import safe_open

    with safe_open(folder / f"{name}.safetensors", framework="numpy") as stored:
        return stored.get_tensor(name)


def _serve(step: str, folder: Path) -> None:
    """In the worker: read the settings, run the step on the arrays in ``folder``, write its
    outputs there, reply with the peak memory (or the error)."""
    requests, replies = worker_pipes()
    settings = json.loads(requests.recv_bytes())
    spec = STEPS[step]
    try:
        inputs = [load_array(folder, name) for name in spec.inputs]
        outputs = spec.function(*inputs, **settings)
        del inputs
        release_free_memory()
        for name, array in outputs.items():
            save_array(folder, name, array)
    except Exception as error:  # reported to the pipeline, which raises it there
        traceback.print_exc()
        reply: dict[str, Any] = {"error": f"{type(error).__name__}: {error}"}
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        reply = {"peak_memory_bytes": peak}
    replies.send_bytes(json.dumps(reply).encode())


if __name__ == "__main__":
    _serve(sys.argv[1], Path(sys.argv[2]))

"""Cells of a matrix on disk as an expression model reads them: processed block by block,
never held whole.

A :class:`CellRecipe` holds the outcome of the default preprocessing (which genes, which
normalization target, whether to take the log), computed beforehand in passes over the
file (:mod:`genodash.train.backed_expression`); it turns any set of stored rows into model
input with the functions of :mod:`genodash.expression.preprocess`, so that a cell's input
is the one the in-memory path gives it, whichever rows it is read with.

:class:`StoredCells` is one such input (processed values or raw counts) for some cells,
sliced like an array: what :func:`~genodash.predict.map_batches` reads for the test loss
and the latent of every cell. :class:`CellRows` reads rows in the order asked (validation)
and :class:`ShuffledBlocks` the training cells in block-shuffled order; both are the
``Rows`` of the one training loop (:func:`genodash.train.loop.fit`).

Memory: one raw block in a cache and, while training, a buffer of a few blocks' processed
rows; neither depends on the number of cells.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch

from genodash.expression.preprocess import normalization_factors, scale_rows
from genodash.expression.qc import cell_totals
from genodash.io.backed import BackedMatrix

BLOCK_VALUES = 2_000_000  # stored values per block read: about 16 MB of data and indices
BUFFER_BLOCKS = 4  # blocks whose cells are shuffled together while training
FROM_DISK_MODELS = ("autoencoder", "vae")  # the expression models that train from disk

Kind = Literal["values", "counts"]
ProgressFactory = Callable[[str], Callable[[int, int], None]]


@dataclass(frozen=True)
class CellRecipe:
    """How stored rows become model input: the kept genes (file columns, ``None``: all),
    the total each cell is scaled to (``None``: not normalized) and whether to take
    ``log(1 + x)`` afterwards, as :func:`genodash.expression.preprocess.preprocess` applies
    them. Raw counts are the kept genes' stored values."""

    columns: np.ndarray | None
    target_sum: float | None
    log1p: bool

    @property
    def changes_values(self) -> bool:
        return self.target_sum is not None or self.log1p

    def apply(self, rows: Any, kind: Kind) -> Any:
        """``rows`` (float32 CSR, every gene) as ``kind``: processed values or raw counts
        of the kept genes, float32 CSR; ``rows`` is not changed.

        Parameters
        ----------
        rows
            Stored rows of the matrix, as :meth:`BackedMatrix.read_rows` gives them.
        kind
            ``"values"`` or ``"counts"``.
        """
        kept = rows if self.columns is None else rows[:, self.columns]
        if kind == "counts" or not self.changes_values:
            return kept
        kept = kept.copy() if kept is rows else kept
        if self.target_sum is not None:  # each cell's total over every gene, as in memory
            factors = normalization_factors(cell_totals(rows), target_sum=self.target_sum)
            scale_rows(kept, factors)
        if self.log1p:
            np.log1p(kept.data, out=kept.data)
        return kept


class BlockReader:
    """Blocks of rows of a :class:`BackedMatrix` and the last one read, kept for the next
    read (consecutive batches mostly fall in the same block).

    Parameters
    ----------
    matrix
        The matrix on disk.
    block_values
        Stored values per block.
    """

    def __init__(self, matrix: BackedMatrix, block_values: int = BLOCK_VALUES) -> None:
        self.matrix = matrix
        self.blocks = matrix.row_blocks(block_values)
        self.starts = np.array([start for start, _ in self.blocks], dtype=np.int64)
        self._cached: tuple[int, Any] | None = None

    def block_of(self, rows: np.ndarray) -> np.ndarray:
        """The block of each row number."""
        return np.searchsorted(self.starts, rows, side="right") - 1

    def read(self, block: int) -> Any:
        """The stored rows of ``block`` (float32 CSR)."""
        if self._cached is None or self._cached[0] != block:
            self._cached = None  # let the old block go before the new one is read
            self._cached = (block, self.matrix.read_rows(*self.blocks[block]))
        return self._cached[1]

    def gather(
        self, rows: np.ndarray, process: Callable[[Any], Any], *, empty: Any
    ) -> Iterator[Any]:
        """``process`` of the stored rows ``rows`` (ascending), one part per block read.

        Parameters
        ----------
        rows
            Row numbers in ascending order.
        process
            Turns stored rows (CSR) into what is wanted (e.g. :meth:`CellRecipe.apply`).
        empty
            What to yield when ``rows`` is empty.
        """
        if len(rows) == 0:
            yield empty
            return
        blocks = self.block_of(rows)
        cuts = np.flatnonzero(np.diff(blocks)) + 1
        for part in np.split(np.arange(len(rows)), cuts):
            block = int(blocks[part[0]])
            stored = self.read(block)
            yield process(stored[rows[part] - self.blocks[block][0]])


class StoredCells:
    """One input of an expression model (``"values"`` or ``"counts"``) of some cells of a
    matrix on disk: ``float32`` cells × kept genes, sliced like an array and read block by
    block as rows are asked for.

    A read that starts at the first cell starts a progress report (when ``progress`` and
    ``label`` are given), updated after each read.

    Parameters
    ----------
    reader
        The matrix and its blocks (shared by every input of the same matrix, so that they
        share the cached block).
    recipe
        How stored rows become this input.
    kind
        ``"values"`` (processed) or ``"counts"`` (raw).
    cells
        The cells (row numbers, ascending); ``None``: every cell.
    progress, label
        A progress report maker (``label -> report(done, total)``), e.g.
        :func:`genodash.cli._common.progress_line`, and what the reads are called.
    """

    def __init__(
        self,
        reader: BlockReader,
        recipe: CellRecipe,
        kind: Kind,
        cells: np.ndarray | None = None,
        *,
        progress: ProgressFactory | None = None,
        label: str = "",
    ) -> None:
        self.reader, self.recipe, self.kind = reader, recipe, kind
        n_cells = reader.matrix.n_cells
        self.cells = np.arange(n_cells, dtype=np.int64) if cells is None else np.asarray(cells)
        self.progress, self.label = progress, label
        self._report: Callable[[int, int], None] | None = None
        n_genes = reader.matrix.n_genes if recipe.columns is None else len(recipe.columns)
        self.shape = (len(self.cells), n_genes)
        self.dtype = np.dtype(np.float32)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key: slice | np.ndarray | Sequence[int]) -> np.ndarray:
        """The cells at ``key`` (a slice, or positions in any order), dense ``float32``."""
        if isinstance(key, slice):
            span = range(len(self))[key]
            positions = np.arange(span.start, span.stop, span.step, dtype=np.int64)
        else:
            positions = np.asarray(key, dtype=np.int64)
        rows = self.sparse_rows(positions).toarray()
        self._advance(positions)
        return np.ascontiguousarray(rows, dtype=np.float32)

    def sparse_rows(self, positions: np.ndarray) -> Any:
        """The cells at ``positions`` (in that order) as ``float32`` CSR.

        Parameters
        ----------
        positions
            Positions among this input's cells.
        """
        import scipy.sparse

        rows = self.cells[positions]
        order = np.argsort(rows, kind="stable")
        empty = scipy.sparse.csr_matrix((0, self.shape[1]), dtype=np.float32)
        parts = list(
            self.reader.gather(rows[order], lambda s: self.recipe.apply(s, self.kind), empty=empty)
        )
        stacked = scipy.sparse.vstack(parts, format="csr", dtype=np.float32)
        if np.all(order[1:] > order[:-1]):
            return stacked
        return stacked[np.argsort(order)]

    def subset(self, positions: np.ndarray) -> StoredCells:
        """The cells at ``positions`` (ascending) of this input, reading the same way.

        Parameters
        ----------
        positions
            Positions among this input's cells.
        """
        return StoredCells(self.reader, self.recipe, self.kind, self.cells[positions])

    def with_genes(self, positions: np.ndarray) -> StoredCells:
        """The same cells with only the kept genes at ``positions``, in that order (e.g. a
        saved run's genes).

        Parameters
        ----------
        positions
            Positions among the kept genes.
        """
        kept = self.recipe.columns
        columns = np.arange(self.reader.matrix.n_genes) if kept is None else kept
        recipe = CellRecipe(columns[positions], self.recipe.target_sum, self.recipe.log1p)
        return StoredCells(
            self.reader, recipe, self.kind, self.cells, progress=self.progress, label=self.label
        )

    def _advance(self, positions: np.ndarray) -> None:
        if self.progress is None or not self.label or len(positions) == 0:
            return
        if positions[0] == 0:
            self._report = self.progress(self.label)
        if self._report is not None:
            self._report(int(positions.max()) + 1, len(self))


def on_disk(arrays: Sequence[Any]) -> bool:
    """Whether some of ``arrays`` (a model's inputs) are cells on disk.

    Parameters
    ----------
    arrays
        One array per model input.
    """
    return any(isinstance(array, StoredCells) for array in arrays)


def subset_cells(arrays: Sequence[Any], index: np.ndarray) -> tuple[Any, ...]:
    """The rows ``index`` (ascending) of each of ``arrays``: cells on disk stay on disk,
    numpy arrays are indexed.

    Parameters
    ----------
    arrays
        :class:`StoredCells` or numpy arrays, one row per cell.
    index
        The rows to keep.
    """
    return tuple(
        array.subset(index) if isinstance(array, StoredCells) else array[index] for array in arrays
    )


def _tensors(arrays: Sequence[np.ndarray], device: str) -> list[torch.Tensor]:
    return [torch.from_numpy(np.ascontiguousarray(array)).to(device) for array in arrays]


class CellRows:
    """Rows read in the order asked (the ``Rows`` of :func:`~genodash.train.loop.fit` for
    validation): :class:`StoredCells` and numpy arrays with one row per cell.

    Parameters
    ----------
    arrays
        The model's inputs, one row per cell.
    """

    def __init__(self, arrays: Sequence[Any]) -> None:
        self.arrays = tuple(arrays)

    @property
    def n_rows(self) -> int:
        return len(self.arrays[0])

    def take(self, index: torch.Tensor, device: str) -> list[torch.Tensor]:
        """The rows at ``index`` of every input, on ``device``."""
        wanted = index.numpy()
        return _tensors([array[wanted] for array in self.arrays], device)


class ShuffledBlocks:
    """Training cells read in block-shuffled order (the ``Rows`` that
    :func:`~genodash.train.loop.fit` trains on).

    Each epoch the blocks that hold training cells are shuffled; :data:`BUFFER_BLOCKS` of
    them at a time are read into a buffer (their training cells, processed, kept sparse),
    whose cells are shuffled and handed out batch by batch. The loop draws its own order of
    row numbers; here a row number names a different cell each epoch: the k-th number
    taken in an epoch is the k-th cell of that epoch's block-shuffled order. So each cell
    is visited once per epoch whatever order the loop draws, and a number taken twice in
    one epoch is refused.

    Parameters
    ----------
    arrays
        The model's inputs for the training cells: :class:`StoredCells` of the same cells
        and matrix, and numpy arrays (e.g. batch codes) with one row per cell.
    seed
        Seed of the order of blocks and of cells within each buffer.
    buffer_blocks
        Blocks shuffled together.

    Attributes
    ----------
    peak_buffer_values
        The most processed values a buffer has held (its bound: ``buffer_blocks`` × the
        reader's block size, per input read from disk).
    """

    def __init__(
        self, arrays: Sequence[Any], *, seed: int, buffer_blocks: int = BUFFER_BLOCKS
    ) -> None:
        stored = [array for array in arrays if isinstance(array, StoredCells)]
        if not stored or any(
            s.reader is not stored[0].reader or not np.array_equal(s.cells, stored[0].cells)
            for s in stored
        ):
            raise ValueError("ShuffledBlocks needs inputs on disk, all of the same cells")
        self.arrays = tuple(arrays)
        self.buffer_blocks = buffer_blocks
        blocks = stored[0].reader.block_of(stored[0].cells)
        self._blocks, firsts = np.unique(blocks, return_index=True)
        self._bounds = np.append(firsts, len(blocks))  # cells of block i: bounds[i]:bounds[i+1]
        self._rng = np.random.default_rng(seed)
        self._plan: Iterator[np.ndarray] = iter(())
        self._buffer: list[Any] = []
        self._cursor = self._size = 0
        self._taken = np.zeros(self.n_rows, dtype=bool)
        self._n_taken = 0
        self.peak_buffer_values = 0

    @property
    def n_rows(self) -> int:
        return len(self.arrays[0])

    def take(self, index: torch.Tensor, device: str) -> list[torch.Tensor]:
        """The next ``len(index)`` cells of the epoch's block-shuffled order, on ``device``."""
        self._check_numbers(index.numpy())
        pieces: list[list[Any]] = []
        wanted = len(index)
        while wanted:
            if self._cursor == self._size:
                self._fill()
            stop = min(self._cursor + wanted, self._size)
            pieces.append([part[self._cursor : stop] for part in self._buffer])
            wanted -= stop - self._cursor
            self._cursor = stop
        return _tensors([_joined(parts) for parts in zip(*pieces, strict=True)], device)

    def epoch_order(self) -> Iterator[np.ndarray]:
        """One epoch's buffers: the positions of their cells (among the training cells), in
        the order they are handed out."""
        order = self._rng.permutation(len(self._blocks))
        for first in range(0, len(order), self.buffer_blocks):
            chosen = order[first : first + self.buffer_blocks]
            spans = [np.arange(self._bounds[i], self._bounds[i + 1]) for i in chosen]
            yield self._rng.permutation(np.concatenate(spans))

    def _fill(self) -> None:
        positions = next(self._plan, None)
        if positions is None:
            self._plan = self.epoch_order()
            positions = next(self._plan)
        self._buffer = []  # the old buffer goes before the next is read
        self._buffer = [
            array.sparse_rows(positions) if isinstance(array, StoredCells) else array[positions]
            for array in self.arrays
        ]
        held = sum(part.nnz for part in self._buffer if hasattr(part, "nnz"))
        self.peak_buffer_values = max(self.peak_buffer_values, held)
        self._cursor, self._size = 0, len(positions)

    def _check_numbers(self, numbers: np.ndarray) -> None:
        if self._n_taken == self.n_rows:  # a new epoch
            self._taken[:] = False
            self._n_taken = 0
        if self._taken[numbers].any() or len(np.unique(numbers)) != len(numbers):
            raise ValueError("a row number was taken twice in one epoch of block-shuffled cells")
        self._taken[numbers] = True
        self._n_taken += len(numbers)


def _joined(parts: Sequence[Any]) -> np.ndarray:
    """Pieces of a batch (CSR rows or numpy arrays) as one dense array."""
    if not hasattr(parts[0], "toarray"):
        return np.concatenate(parts)
    if len(parts) == 1:
        return parts[0].toarray()
    import scipy.sparse

    return scipy.sparse.vstack(parts, format="csr").toarray()

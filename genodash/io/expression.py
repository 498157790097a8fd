"""Expression-matrix readers: CSV/TSV tables, .h5ad, 10x Matrix Market (folder or .zip) and 10x .h5.

Every reader returns a :class:`~genodash.data.MatrixSet` with cells as rows and float32
values, sparse where the source was sparse, plus notes on anything renamed or converted.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from genodash.data import MatrixSet, ValueType, is_sparse, value_type_of
from genodash.errors import FormatError, GenodashError, LimitError, OrientationError
from genodash.io._hdf5 import decode_strings, is_hdf5, open_hdf5, tenx_matrix_group
from genodash.io._isolated import RUNNER
from genodash.io._source import (
    ZIP_MAGIC,
    RawFile,
    Source,
    decompress,
    display_name,
    load,
    read_text,
    split_lines,
    strip_compression_suffix,
)
from genodash.io.backed import pointer_problem
from genodash.io.sequences import make_unique
from genodash.limits import Limits, human_bytes

FLOAT32_MAX = float(np.finfo(np.float32).max)
LABEL_COLUMN_GUESSES = ("cell_type", "celltype", "cell_types", "bulk_labels", "label", "labels")
BATCH_COLUMN_GUESSES = ("batch", "batches", "sample", "donor")
_BARCODE = re.compile(r"^[ACGTN]{8,}([-_.]\d+)?$")
_CELL_NAME = re.compile(r"^(cell|bc|barcode)[-_.]?\d+$", re.IGNORECASE)
_GENE_ID = re.compile(r"^(ENS[A-Z]*G\d{6,}(\.\d+)?|MT-.+|mt-.+)$")
_TENX_PARTS = {
    "matrix": ("matrix.mtx",),
    "barcodes": ("barcodes.tsv",),
    "features": ("features.tsv", "genes.tsv"),
}


def read_matrix(
    source: Source | Sequence[Source],
    *,
    transpose: bool | None = None,
    metadata_columns: Sequence[str] = (),
    label_column: str | None = None,
    batch_column: str | None = None,
    limits: Limits | None = None,
) -> MatrixSet:
    """Read an expression matrix with cells as rows.

    Parameters
    ----------
    source
        A CSV/TSV table (cells as rows, first column cell IDs, header gene names), an
        ``.h5ad`` file, a 10x ``.h5`` file, a 10x Matrix Market folder or ``.zip``, or the
        three 10x files (matrix, barcodes, features) given together.
    transpose
        For tables: ``True`` when genes are rows, ``False`` to keep the orientation as is,
        ``None`` to detect; a table that looks like genes-as-rows then raises
        :class:`OrientationError` so the user can confirm.
    metadata_columns
        Table columns to keep as cell metadata even when numeric.
    label_column, batch_column
        Metadata columns with cell labels and batches; guessed from common names if omitted.
    limits
        Size limits; defaults from :meth:`Limits.from_env`.

    Raises
    ------
    FormatError
        The file is malformed; the message names the file and the row, column or object.
    OrientationError
        A table looks transposed and ``transpose`` was not given.
    LimitError
        The file declares or holds more than allowed.
    """
    limits = limits or Limits.from_env()
    many = isinstance(source, Sequence) and not isinstance(source, str | bytes)
    if many and len(source) > 1:
        return _finish(*_read_10x_upload(list(source), limits), label_column, batch_column)
    single = source[0] if many else source
    if not isinstance(single, RawFile) and Path(single).is_dir():
        return _finish(*_read_10x_folder(Path(single), limits), label_column, batch_column)
    raw = load(single, limits)
    if raw.data.startswith(ZIP_MAGIC):
        return _finish(*_read_10x_zip(raw, limits), label_column, batch_column)
    if is_hdf5(raw.data):
        parsed = RUNNER.run(
            _read_hdf5, raw, limits, file=raw.display_name, timeout=limits.max_parse_seconds
        )
        return _finish(*parsed, label_column, batch_column)
    _reject_misnamed(raw)
    adata, fmt, notes = _read_table(raw, transpose, metadata_columns, limits)
    return _finish(adata, raw.display_name, fmt, notes, label_column, batch_column)


_BINARY_SUFFIXES = {
    ".h5ad": "an HDF5 (.h5ad)",
    ".h5": "an HDF5 (10x .h5)",
    ".hdf5": "an HDF5",
    ".zip": "a .zip",
}


def has_matrix_suffix(name: str) -> bool:
    """True for names that only matrices have (.h5ad, .h5, .zip, .mtx).

    Parameters
    ----------
    name
        A file name; case does not matter, and a trailing ``.gz`` is ignored.

    Returns
    -------
    Whether the name ends in ``.h5ad``, ``.h5``, ``.hdf5``, ``.zip`` or ``.mtx``.
    """
    lower = strip_compression_suffix(name.lower())
    return lower.endswith((*_BINARY_SUFFIXES, ".mtx"))


def _reject_misnamed(raw: RawFile) -> None:
    for suffix, what in _BINARY_SUFFIXES.items():
        if raw.name.lower().endswith(suffix):
            raise FormatError(
                f"is named {suffix} but is not {what} file",
                file=raw.display_name,
                hint="Check that the upload finished and that the file was not renamed",
            )


# --- text tables ---------------------------------------------------------------------------


def _read_table(
    raw: RawFile, transpose: bool | None, metadata_columns: Sequence[str], limits: Limits
) -> tuple[object, str, list[str]]:
    text, notes = read_text(raw, limits)
    name = raw.display_name
    if text.lstrip().startswith("%%MatrixMarket"):
        raise FormatError(
            "is a lone Matrix Market file",
            file=name,
            hint="Give matrix.mtx together with barcodes.tsv and features.tsv, or a .zip of "
            "the 10x folder",
        )
    header, delimiter = _header_fields(text, name)
    values = (len(header) - 1) * max(text.count("\n") - 1, 0)
    if values > limits.max_matrix_cells:
        raise LimitError(
            f"has about {values:,} values ({len(header) - 1:,} columns × its lines), above the "
            f"limit of {limits.max_matrix_cells:,}",
            file=name,
            hint="Use .h5ad or 10x formats for large matrices, or raise GENODASH_MAX_MATRIX_CELLS",
        )
    frame = _parse_frame(text, delimiter, name, limits)
    genes, renamed = make_unique([str(column).strip() for column in header[1:]])
    if len(genes) == frame.shape[1]:
        frame.columns = genes
        if renamed:
            notes.append(f"{renamed:,} duplicate column names made unique by adding -1, -2, …")
    meta, values = _split_metadata(frame, set(metadata_columns), name)
    if meta.shape[1]:
        notes.append(f"kept {meta.shape[1]} metadata columns: {', '.join(meta.columns)}")
    if transpose and meta.shape[1]:
        raise FormatError(
            "cannot be transposed because it has metadata columns",
            file=name,
            hint="Transpose only pure matrices with genes as rows",
        )
    transpose = _resolve_orientation(transpose, list(values.index), list(values.columns), name)
    if transpose:
        values = values.T
        notes.append("transposed: genes were rows, now columns (as confirmed)")
    import anndata

    block = _finite_float32(values, name)
    obs = meta if not transpose else pd.DataFrame(index=values.index)
    adata = anndata.AnnData(X=block, obs=obs, var=pd.DataFrame(index=values.columns))
    return adata, "table", notes


def _header_fields(text: str, name: str) -> tuple[list[str], str]:
    first = next((line for line in split_lines(text[:1_000_000]) if line.strip()), "")
    if not first:
        raise FormatError("is empty", file=name)
    counts = {delimiter: first.count(delimiter) for delimiter in (",", "\t", ";")}
    delimiter = max(counts, key=counts.__getitem__)
    if not counts[delimiter]:
        raise FormatError(
            "has no comma, tab or semicolon in its first line",
            file=name,
            where="line 1",
            hint="Tables (sequences with SEQ and LAB columns, or a matrix of cells × genes) "
            "must separate their columns with commas, tabs or semicolons",
        )
    return next(csv.reader([first], delimiter=delimiter)), delimiter


def _parse_frame(text: str, delimiter: str, name: str, limits: Limits) -> pd.DataFrame:
    try:
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, index_col=0, low_memory=False)
    except pd.errors.EmptyDataError as err:
        raise FormatError("is empty", file=name) from err
    except (pd.errors.ParserError, ValueError) as err:
        raise FormatError(_parser_message(err), file=name, hint=_RAGGED_HINT) from err
    if frame.shape[0] == 0:
        raise FormatError("has a header but no data rows", file=name)
    if frame.shape[1] == 0:
        raise FormatError("has cell IDs but no gene columns", file=name)
    if frame.size > limits.max_matrix_cells:
        raise LimitError(
            f"has {frame.size:,} values, above the limit of {limits.max_matrix_cells:,}",
            file=name,
            hint="Use .h5ad or 10x formats for large matrices, or raise GENODASH_MAX_MATRIX_CELLS",
        )
    frame.index = frame.index.map(str)
    return frame


_RAGGED_HINT = "Every row needs one value per header column"


def _parser_message(err: Exception) -> str:
    match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(err))
    if match:
        expected, line, saw = match.groups()
        return f"line {line} has {saw} fields but earlier lines have {expected}"
    return f"cannot be read as a table ({str(err).strip()[:160]})"


def _split_metadata(
    frame: pd.DataFrame, named: set[str], name: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    missing = named - set(frame.columns)
    if missing:
        raise FormatError(
            f"has no column {', '.join(map(repr, sorted(missing)))} to use as metadata",
            file=name,
            where="header",
        )
    meta_columns = [
        c for c in frame.columns if c in named or _is_metadata(frame[c], c, frame, name)
    ]
    values = frame.drop(columns=meta_columns)
    if values.shape[1] == 0:
        raise FormatError(
            "has no numeric columns, so it is not an expression matrix",
            file=name,
            hint="For sequences, name the sequence column (CLI: --sequence-column; default SEQ)",
        )
    return frame[meta_columns].copy(), values


def _is_metadata(column: pd.Series, name_of_column: str, frame: pd.DataFrame, name: str) -> bool:
    if pd.api.types.is_bool_dtype(column):
        return True
    if pd.api.types.is_numeric_dtype(column):
        return False
    numbers = pd.to_numeric(column, errors="coerce")
    if not numbers.notna().any():
        return True
    bad = numbers.isna() & column.notna()
    position = int(np.flatnonzero(bad.to_numpy())[0])
    raise FormatError(
        f"non-numeric value {column.iloc[position]!r} in numeric column '{name_of_column}'",
        file=name,
        where=f"row {position + 1} (cell '{frame.index[position]}')",
        hint="Fix the value, or name the column as metadata (CLI: --metadata-column)",
    )


def _finite_float32(values: pd.DataFrame, name: str) -> np.ndarray:
    block = values.to_numpy(dtype=np.float64)
    finite = np.isfinite(block) & (np.abs(block) <= FLOAT32_MAX)
    if not finite.all():
        row, col = (int(i[0]) for i in np.nonzero(~finite))
        value = block[row, col]
        hint = "Matrices must hold finite numbers within the float32 range (±3.4e38)"
        if np.isnan(value):
            what, hint = "missing value", "Fill or remove missing values"
        elif np.isinf(value):
            what = f"value {value:g} is not a finite number"
        else:
            what = f"value {value:g} is too large (beyond ±3.4e38, the float32 range)"
        raise FormatError(
            what,
            file=name,
            where=f"row {row + 1} (cell '{values.index[row]}'), column '{values.columns[col]}'",
            hint=hint,
        )
    return block.astype(np.float32)


def _resolve_orientation(
    transpose: bool | None, rows: list[str], columns: list[str], name: str
) -> bool:
    if transpose is not None:
        return transpose
    if looks_like_genes_as_rows(rows, columns):
        raise OrientationError(
            f"looks like genes are rows and cells are columns ({len(rows):,} rows such as "
            f"'{rows[0]}', {len(columns):,} columns such as '{columns[0]}')",
            file=name,
            hint="Confirm a transpose (CLI: --transpose), or keep it as is (--no-transpose)",
        )
    return False


def looks_like_genes_as_rows(rows: list[str], columns: list[str]) -> bool:
    """True when column names look like cell barcodes and row names like gene IDs.

    That is, when over half of the column names look like cells (barcodes such as
    ``AAACCTGAGCGT-1``, or ``cell_1``, ``bc1``, ``barcode_1``) and under a tenth of the row
    names do, or when over half of the row names look like genes (Ensembl gene IDs such as
    ``ENSG00000141510`` or ``MT-`` genes) and under a tenth of the column names do. Only
    the first 500 names of each are looked at.

    Parameters
    ----------
    rows
        The table's row names (its first column).
    columns
        The table's column names (its header, without the first column).

    Returns
    -------
    Whether the table looks like genes as rows and cells as columns, i.e. the transpose
    of what genodash expects.
    """

    def share(names: list[str], pattern: re.Pattern[str]) -> float:
        sample = names[:500]
        return sum(bool(pattern.match(n)) for n in sample) / max(1, len(sample))

    def cells(names: list[str]) -> float:
        return max(share(names, _BARCODE), share(names, _CELL_NAME))

    columns_are_cells = cells(columns) > 0.5 and cells(rows) < 0.1
    rows_are_genes = share(rows, _GENE_ID) > 0.5 and share(columns, _GENE_ID) < 0.1
    return columns_are_cells or rows_are_genes


# --- HDF5: .h5ad and 10x .h5 -----------------------------------------------------------------


def _read_hdf5(raw: RawFile, limits: Limits) -> tuple[object, str, str, list[str]]:
    """Read .h5ad or 10x .h5 (runs in the isolated reader process)."""
    with open_hdf5(raw, limits) as handle:
        if "obs" in handle or handle.attrs.get("encoding-type") == "anndata":
            adata, fmt, notes = _read_h5ad(handle, raw.display_name), "h5ad", []
        else:
            adata, fmt = _read_10x_h5(handle, raw.display_name), "10x-h5"
            notes = ["10x matrices are stored genes × cells; read as cells × genes"]
    _check_sparse_structure(adata.X, raw.display_name)
    return adata, raw.display_name, fmt, notes


def _check_sparse_structure(matrix: object, name: str) -> None:
    if not is_sparse(matrix):
        return
    try:
        _check_compressed_pointers(matrix)
        matrix.check_format(full_check=True)
    except (ValueError, TypeError, IndexError) as err:
        raise FormatError(f"sparse matrix X is inconsistent ({err})", file=name) from err


def _check_compressed_pointers(matrix: object) -> None:
    indptr = getattr(matrix, "indptr", None)
    if indptr is None:
        return
    problem = pointer_problem(indptr, len(matrix.indices), len(matrix.data))
    if problem is not None:
        raise ValueError(problem)


def _read_h5ad(handle: object, name: str) -> object:
    import anndata

    for key in ("X", "obs", "var"):
        if key not in handle:
            raise FormatError(f"has no '{key}' entry; it is not a complete AnnData file", file=name)
    try:
        adata = anndata.io.read_elem(handle["/"])
    except Exception as err:  # anndata raises many types on malformed files
        raise FormatError(
            f"is not a readable AnnData file ({type(err).__name__}: {str(err)[:160]})",
            file=name,
        ) from err
    if not isinstance(adata, anndata.AnnData) or adata.X is None:
        raise FormatError("holds no expression matrix X", file=name)
    return adata


def _read_10x_h5(handle: object, name: str) -> object:
    _, group = tenx_matrix_group(handle, name)
    n_genes, n_cells = (int(v) for v in group["shape"][()])
    barcodes = decode_strings(group["barcodes"][()])
    names, ids = _10x_h5_features(group, name)
    if len(barcodes) != n_cells or len(names) != n_genes:
        raise FormatError(
            f"declares {n_genes} genes × {n_cells} cells but lists {len(names)} features "
            f"and {len(barcodes)} barcodes",
            file=name,
        )
    matrix = _csr(
        group["data"][()], group["indices"][()], group["indptr"][()], (n_cells, n_genes), name
    )
    return _anndata_10x(matrix, barcodes, names, ids)


def _10x_h5_features(group: object, name: str) -> tuple[list[str], list[str]]:
    if "features" in group:
        features = group["features"]
        return decode_strings(features["name"][()]), decode_strings(features["id"][()])
    if "gene_names" in group and "genes" in group:
        return decode_strings(group["gene_names"][()]), decode_strings(group["genes"][()])
    raise FormatError("has no feature (gene) names", file=name)


def _csr(
    data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, shape: tuple[int, int], name: str
) -> object:
    import scipy.sparse

    try:
        matrix = scipy.sparse.csr_matrix((data, indices, indptr), shape=shape)
        matrix.check_format(full_check=True)
    except (ValueError, TypeError) as err:
        raise FormatError(f"sparse matrix is inconsistent ({err})", file=name) from err
    return matrix


def _anndata_10x(matrix: object, barcodes: list[str], names: list[str], ids: list[str]) -> object:
    import anndata

    var = pd.DataFrame({"gene_ids": ids}, index=names)
    return anndata.AnnData(X=matrix, obs=pd.DataFrame(index=barcodes), var=var)


# --- 10x Matrix Market ------------------------------------------------------------------------


def _read_10x_upload(sources: list[Source], limits: Limits) -> tuple[object, str, str, list[str]]:
    raws = [load(source, limits) for source in sources]
    if not any(_tenx_roles(raw.name) for raw in raws):
        # e.g. a second file added after a first one that was refused
        names = ", ".join(raw.display_name for raw in raws)
        raise FormatError(
            f"are {len(raws)} matrix files read together, which works only for the three "
            "files of a 10x sample (matrix.mtx, barcodes.tsv, features.tsv)",
            file=f"the uploaded files ({names})",
            hint="To read one file, remove the others from the list (× beside each name)",
        )
    parts = _match_10x_parts({raw.name: raw for raw in raws}, "the uploaded files")
    return _read_10x_parts(parts, " + ".join(r.display_name for r in raws), limits)


def _read_10x_folder(folder: Path, limits: Limits) -> tuple[object, str, str, list[str]]:
    files = {path.name: path for path in folder.iterdir() if path.is_file()}
    parts = _match_10x_parts(files, display_name(folder.name))
    raws = {role: load(path, limits) for role, path in parts.items()}
    return _read_10x_parts(raws, display_name(folder.name), limits)


def _read_10x_zip(raw: RawFile, limits: Limits) -> tuple[object, str, str, list[str]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw.data))
        members = {info.filename: info for info in archive.infolist() if not info.is_dir()}
        parts = _match_10x_parts(members, raw.display_name)
        raws = {
            role: _zip_member(archive, info, raw.display_name, limits)
            for role, info in parts.items()
        }
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        EOFError,
        OSError,
        NotImplementedError,
        IndexError,
        RuntimeError,
        zlib.error,
        ValueError,
    ) as err:
        if isinstance(err, GenodashError):
            raise
        raise FormatError(f"is not a readable .zip ({err})", file=raw.display_name) from err
    return _read_10x_parts(raws, raw.display_name, limits)


def _zip_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, limits: Limits
) -> RawFile:
    if info.file_size > limits.max_decompressed_bytes:
        raise LimitError(
            f"member '{display_name(info.filename)}' unpacks to {human_bytes(info.file_size)}, "
            f"above the limit of {human_bytes(limits.max_decompressed_bytes)}",
            file=name,
        )
    with archive.open(info) as stream:
        data = stream.read(limits.max_decompressed_bytes + 1)
    if len(data) > limits.max_decompressed_bytes:
        raise LimitError("a member unpacks to more than its declared size", file=name)
    return RawFile(name=info.filename, data=data)


def _tenx_roles(filename: str) -> list[str]:
    """The 10x parts ('matrix', 'barcodes', 'features') that a file name can be."""
    base = strip_compression_suffix(filename.rsplit("/", 1)[-1].lower())
    return [role for role, endings in _TENX_PARTS.items() if base.endswith(endings)]


def _match_10x_parts(files: dict[str, object], where: str) -> dict[str, object]:
    """Map 'matrix', 'barcodes', 'features' to the files whose names end accordingly."""
    found: dict[str, object] = {}
    for filename, item in files.items():
        for role in _tenx_roles(filename):
            if role in found:
                raise FormatError(
                    f"has more than one {role} file",
                    file=where,
                    hint="Give one 10x sample at a time",
                )
            found[role] = item
    missing = [role for role in _TENX_PARTS if role not in found]
    if missing:
        raise FormatError(
            f"lacks the 10x {' and '.join(missing)} file(s)",
            file=where,
            hint="A 10x folder holds matrix.mtx(.gz), barcodes.tsv(.gz) and "
            "features.tsv(.gz) or genes.tsv",
        )
    return found


def _read_10x_parts(
    parts: dict[str, RawFile], name: str, limits: Limits
) -> tuple[object, str, str, list[str]]:
    matrix = _read_mtx(parts["matrix"], limits)
    barcodes = _tsv_column(parts["barcodes"], 0, limits)
    feature_rows = _tsv_rows(parts["features"], limits)
    n_genes, n_cells = matrix.shape
    for label, count, expected in (
        ("features", len(feature_rows), n_genes),
        ("barcodes", len(barcodes), n_cells),
    ):
        if count != expected:
            raise FormatError(
                f"{label} file lists {count:,} entries but the matrix has {expected:,} "
                f"{'genes (rows)' if label == 'features' else 'cells (columns)'}",
                file=name,
                hint="The three files must come from the same 10x sample",
            )
    names = [row[1] if len(row) > 1 else row[0] for row in feature_rows]
    ids = [row[0] for row in feature_rows]
    adata = _anndata_10x(matrix.T.tocsr().astype(np.float32), barcodes, names, ids)
    types = {row[2] for row in feature_rows if len(row) > 2}
    notes = ["10x matrices are stored genes × cells; read as cells × genes"]
    if len(types) > 1:
        notes.append(f"several feature types kept together: {', '.join(sorted(types))}")
    return adata, name, "10x-mtx", notes


def _read_mtx(raw: RawFile, limits: Limits) -> object:
    import scipy.io

    data, _ = decompress(raw, limits)
    _check_mtx_size(data, raw.display_name, limits)
    try:
        return scipy.io.mmread(io.BytesIO(data)).tocsc()
    except (ValueError, TypeError, OverflowError, IndexError) as err:
        raise FormatError(
            f"Matrix Market content is malformed ({err})", file=raw.display_name
        ) from err


def _check_mtx_size(data: bytes, name: str, limits: Limits) -> None:
    if not data.startswith(b"%%MatrixMarket"):
        raise FormatError("is not a Matrix Market file (no %%MatrixMarket header)", file=name)
    for line in io.BytesIO(data):
        if line.startswith(b"%") or not line.strip():
            continue
        fields = line.split()
        if len(fields) != 3 or not all(f.isdigit() for f in fields):
            raise FormatError("size line must be 'rows columns entries'", file=name)
        entries = int(fields[2])
        if entries * 16 > limits.max_array_bytes:
            raise LimitError(
                f"declares {entries:,} entries, above the limit of "
                f"{human_bytes(limits.max_array_bytes)}",
                file=name,
            )
        return
    raise FormatError("has no size line", file=name)


def _tsv_rows(raw: RawFile, limits: Limits) -> list[list[str]]:
    text, _ = read_text(raw, limits)
    return [line.split("\t") for line in text.splitlines() if line.strip()]


def _tsv_column(raw: RawFile, index: int, limits: Limits) -> list[str]:
    return [row[index] for row in _tsv_rows(raw, limits)]


# --- common finishing ---------------------------------------------------------------------


def _finish(
    adata: object,
    name: str,
    fmt: str,
    notes: list[str],
    label_column: str | None,
    batch_column: str | None,
) -> MatrixSet:
    if adata.n_obs == 0 or adata.n_vars == 0:
        raise FormatError(
            f"matrix is empty ({adata.n_obs} cells × {adata.n_vars} genes)", file=name
        )
    notes = list(notes)
    adata.X = _as_float32(adata.X, name, notes)
    _check_finite(adata, name)
    _unique_names(adata, notes)
    value_type = value_type_of(adata.X)
    notes += _value_type_notes(value_type)
    notes += _degenerate_notes(adata.X)
    label_column = pick_column(adata.obs, label_column, LABEL_COLUMN_GUESSES, "label", name, notes)
    batch_column = pick_column(adata.obs, batch_column, BATCH_COLUMN_GUESSES, "batch", name, notes)
    return MatrixSet(
        adata=adata,
        name=name,
        format=fmt,
        notes=tuple(notes),
        value_type=value_type,
        label_column=label_column,
        batch_column=batch_column,
    )


def _as_float32(matrix: object, name: str, notes: list[str]) -> object:
    import scipy.sparse

    if scipy.sparse.issparse(matrix):
        matrix = scipy.sparse.csr_matrix(matrix)
        if matrix.dtype != np.float32:
            _check_range(matrix.data, name)
            matrix = matrix.astype(np.float32)
        return matrix
    array = np.asarray(matrix)
    if not np.issubdtype(array.dtype, np.number):
        raise FormatError(f"matrix X holds {array.dtype} values, not numbers", file=name)
    if array.dtype != np.float32:
        _check_range(array, name)
        notes.append(f"values stored as float32 (were {array.dtype})")
        array = array.astype(np.float32)
    return array


def _check_range(values: np.ndarray, name: str) -> None:
    with np.errstate(invalid="ignore"):
        too_big = np.abs(values[np.isfinite(values)]) > FLOAT32_MAX
    if too_big.any():
        raise FormatError("holds values beyond the float32 range (±3.4e38)", file=name)


def _check_finite(adata: object, name: str) -> None:
    matrix = adata.X
    values = matrix.data if is_sparse(matrix) else matrix
    if np.isfinite(values).all():
        return
    if is_sparse(matrix):
        coo = matrix.tocoo()
        bad = int(np.flatnonzero(~np.isfinite(coo.data))[0])
        row, col = int(coo.row[bad]), int(coo.col[bad])
    else:
        row, col = (int(i[0]) for i in np.nonzero(~np.isfinite(matrix)))
    raise FormatError(
        "NaN or infinite value",
        file=name,
        where=f"cell {row + 1} '{adata.obs_names[row]}', gene '{adata.var_names[col]}'",
        hint="Matrices must hold finite numbers",
    )


def _unique_names(adata: object, notes: list[str]) -> None:
    for axis, label in (("obs", "cell IDs"), ("var", "gene names")):
        names = getattr(adata, f"{axis}_names")
        if names.is_unique:
            continue
        unique, renamed = make_unique([str(n) for n in names])
        setattr(adata, f"{axis}_names", unique)
        notes.append(f"{renamed:,} duplicate {label} made unique by adding -1, -2, …")


def _value_type_notes(value_type: ValueType) -> list[str]:
    if value_type == "signed":
        return [
            "has negative values: treated as already normalized and scaled; "
            "count-based steps (normalize, log1p, count models) will be skipped"
        ]
    if value_type == "non-negative":
        return [
            "values are not whole numbers: treated as already normalized; "
            "count-based steps will be skipped"
        ]
    return []


def _degenerate_notes(matrix: object) -> list[str]:
    """Say so when cells or genes carry no information (kept: the user may filter them)."""
    notes = []
    n_cells, n_genes = matrix.shape
    if n_cells == 1 or n_genes == 1:
        notes.append(
            f"only {n_cells} cell(s) × {n_genes} gene(s): too small for embeddings or models"
        )
    nonzero = (matrix != 0) if is_sparse(matrix) else (np.asarray(matrix) != 0)
    empty_cells = int((np.asarray(nonzero.sum(axis=1)).ravel() == 0).sum())
    empty_genes = int((np.asarray(nonzero.sum(axis=0)).ravel() == 0).sum())
    if empty_cells:
        notes.append(f"{empty_cells:,} cells have only zeros (kept; filter them in preprocessing)")
    if empty_genes:
        notes.append(
            f"{empty_genes:,} genes are zero in every cell (kept; filter them in preprocessing)"
        )
    values = matrix.data if is_sparse(matrix) else np.asarray(matrix)
    dense_constant = not is_sparse(matrix) and values.size > 1 and values.min() == values.max()
    if dense_constant and not empty_cells:
        notes.append(f"every value is {values.flat[0]:g}: the matrix carries no information")
    return notes


def pick_column(
    obs: pd.DataFrame,
    chosen: str | None,
    guesses: tuple[str, ...],
    role: str,
    name: str,
    notes: list[str],
) -> str | None:
    """The cells' column of a role (labels, batches): the one chosen, checked, or the first
    of the common names found (any case), noted.

    Parameters
    ----------
    obs
        The cells' table.
    chosen
        The column the user named, or ``None`` to guess.
    guesses
        Common names of such a column, lower case, in order of preference.
    role
        ``"label"`` or ``"batch"``, for the note and the message.
    name
        The file's display name, for the message.
    notes
        Reading notes; the guess is added to them.

    Raises
    ------
    FormatError
        The chosen column is not in the table.
    """
    columns = [str(c) for c in obs.columns]
    if chosen is not None:
        if chosen not in columns:
            raise FormatError(
                f"has no {role} column '{chosen}'; metadata columns: "
                f"{', '.join(map(repr, columns)) or 'none'}",
                file=name,
            )
        return chosen
    lowered = {c.lower(): c for c in columns}
    guess = next((lowered[g] for g in guesses if g in lowered), None)
    if guess:
        notes.append(f"{role} column guessed as '{guess}'")
    return guess

"""An atlas result in the app: opened from the server data folder once per server (shared
read-only by every session), and drawn on the Embeddings page with its clusters, labels,
batches or one gene, a selection counted by group, the pipeline's steps and downloads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from genodash.atlas.result import AtlasResult, gene_expression, open_atlas_result
from genodash.atlas.tables import (
    LEIDEN,
    cells_table,
    colourings,
    find_genes,
    selection_counts,
    steps_table,
)
from genodash.errors import GenodashError, InputError
from genodash.io.data_folder import matrix_in_folder
from genodash.limits import data_dir
from genodash.plotting.atlas import atlas_embedding_figure, raster_png
from genodash.plotting.expression import selection_indices
from genodash.plotting.files import figure_bytes
from ui.figures import show_figure
from ui.messages import escape_markdown, show_error
from ui.state import current_atlas, session_memo, setting
from ui.widgets import download, figure_downloads, progress_bar

GENE = "A gene"
EMBEDDINGS = ("UMAP", "PCA (PC 1 and 2)")
SHOW = ("The atlas result", "The loaded data set")


def open_atlas(path: Path) -> AtlasResult:
    """The atlas result at ``path`` (in the data folder), opened once per server and
    version of the file."""
    stat = path.stat()
    return _opened(str(path), stat.st_mtime_ns, stat.st_size)


@st.cache_resource(max_entries=2, show_spinner=False)
def _opened(path: str, _mtime_ns: int, _size: int) -> AtlasResult:
    # shared by every session: an AtlasResult is never changed after opening
    return open_atlas_result(Path(path))


def atlas_chosen() -> bool:
    """Whether the page shows the session's atlas result: when one is open, a choice
    between it and the loaded data set (the result first)."""
    result = current_atlas()
    if result is None:
        if data_dir() is not None:
            st.caption(
                "Atlas results (the `atlas` command's output, up to millions of cells) open "
                "from **Data → Server data folder** and are drawn here."
            )
        return False
    choice = st.segmented_control("Show", SHOW, key=setting("atlas-show", SHOW[0], SHOW))
    return choice != SHOW[1]


def atlas_view() -> None:
    """The session's atlas result: its embedding coloured as chosen, the selection,
    the steps that made it and downloads."""
    result = current_atlas()
    if result is None:
        return
    _headline(result)
    left, right = st.columns(2)
    embedding = left.segmented_control(
        "Embedding", EMBEDDINGS, key=setting("atlas-embedding", EMBEDDINGS[0], EMBEDDINGS)
    )
    embedding = embedding or EMBEDDINGS[0]
    groups = colourings(result)
    options = [*groups, GENE]
    choice = right.selectbox(
        "Colour cells by", options, key=setting("atlas-colour", LEIDEN, options)
    )
    colour, colour_name = _colour(result, choice, groups)
    figure = _figure(result, embedding, colour, colour_name)
    event = show_figure(
        figure,
        on_select="rerun",
        selection_mode=("box", "lasso"),
        key="atlas-plot",
        config={"displaylogo": False},
    )
    _selection(result, event, groups, sampled=bool(figure.layout.images))
    _steps(result)
    _downloads(result, figure, embedding)


def _headline(result: AtlasResult) -> None:
    clusters = result.obs["leiden"].nunique()
    st.markdown(
        f"**{escape_markdown(result.name)}**: {result.n_cells:,} cells × {len(result.var):,} "
        f"genes kept (of {_in_source(result, 'n_cells_in_source')} × "
        f"{_in_source(result, 'n_genes_in_source')} in the matrix "
        f"{escape_markdown(result.source.name)}), {clusters} Leiden clusters."
    )
    st.caption(
        "Made by the out-of-core pipeline (`python -m genodash atlas`): quality control, "
        "filters, normalization, log1p, highly variable genes, PCA, neighbours, UMAP and "
        "Leiden, read from disk in blocks of cells. Above 50,000 cells the picture is an "
        "image of every cell; a random sample drawn on top as faint points carries hover "
        "and selection."
    )


def _in_source(result: AtlasResult, key: str) -> str:
    value = result.info.get(key)
    return f"{int(value):,}" if value is not None else "?"


def _colour(result: AtlasResult, choice: str, groups: dict[str, str]) -> tuple[Any, str]:
    """The values the cells are coloured by and their name (no values: one colour)."""
    if choice != GENE:
        return result.obs[groups[choice]], choice
    gene = _gene_choice(result)
    if gene is None:
        return None, ""
    try:
        return session_memo("atlas-gene", result, gene, lambda: _read_gene(result, gene)), gene
    except GenodashError as error:
        show_error(error, context="The cells cannot be coloured by this gene")
        return None, ""


def _gene_choice(result: AtlasResult) -> str | None:
    """The gene typed, when the result kept it; otherwise say what to type."""
    variable = result.var.get("highly_variable", pd.Series(True, index=result.var.index))
    examples = ", ".join(result.var.index[variable.to_numpy(dtype=bool)][:5])
    text = st.text_input(
        "Gene (type its name)",
        key=setting("atlas-gene", ""),
        help="The gene's counts are read from the source matrix, normalized to the same "
        "total per cell as in the pipeline and log-transformed (log1p).",
    )
    if not text.strip():
        shown = f", e.g. {escape_markdown(examples)}" if examples else ""
        st.caption(f"Type a gene's name{shown}.")
        return None
    if text.strip() in result.var.index:
        return text.strip()
    similar = find_genes(result, text)
    hint = f" Genes with that in their name: {', '.join(similar)}." if similar else ""
    st.info(f"No kept gene is called {escape_markdown(text)}.{escape_markdown(hint)}")
    return None


def _read_gene(result: AtlasResult, gene: str) -> Any:
    """One gene's values, read from the source matrix with a progress bar."""
    source = matrix_in_folder(result.source, result.path)
    if source is None:
        raise InputError(
            f"colouring by a gene reads its counts from {result.source.name}, the matrix this "
            "result was made from, and the server data folder holds no such file beside the "
            "result",
            file=result.name,
            hint=f"Put {result.source.name} (or a link to it) in the same folder as the result",
        )
    doing = f"Reading {escape_markdown(gene)} in every cell of the source matrix"
    with progress_bar(doing) as report:
        return gene_expression(result, gene, report, source=source)


def _figure(result: AtlasResult, embedding: str, colour: Any, colour_name: str) -> Any:
    """The figure, built once per session for each embedding and colouring."""
    obs = result.obs
    hover = {name: obs[column] for name, column in colourings(result).items()}
    hover.pop(colour_name, None)
    coords = result.umap if embedding == EMBEDDINGS[0] else result.pca[:, :2]
    shown = colour_name or "one colour"
    title = f"{embedding.split(' ')[0]} of {result.n_cells:,} cells, coloured by {shown}"

    def build() -> Any:
        return atlas_embedding_figure(
            coords,
            color=colour,
            color_name=colour_name,
            cell_ids=obs.index,
            hover=hover,
            title=title,
            continuous=None if colour is None else colour_name not in colourings(result),
        )

    return session_memo("atlas-figure", result, (embedding, colour_name), build, size=4)


def _selection(result: AtlasResult, event: Any, groups: dict[str, str], *, sampled: bool) -> None:
    rows = selection_indices(event)
    of_sample = " (of the random sample drawn as points)" if sampled else ""
    if not rows:
        st.caption(f"Box- or lasso-select cells{of_sample} to count them by group.")
        return
    st.markdown(f"**{len(rows):,} cells selected**{of_sample}")
    share = st.column_config.NumberColumn("share of the selection", format="percent")
    for column, (name, key) in zip(st.columns(len(groups)), groups.items(), strict=True):
        column.markdown(f"By {escape_markdown(name)}")
        column.dataframe(
            selection_counts(result, rows, key),
            hide_index=True,
            column_config={"share": share},
        )


def _steps(result: AtlasResult) -> None:
    steps = steps_table(result)
    with st.expander("How this result was made: the pipeline's steps and their time"):
        st.dataframe(
            steps,
            hide_index=True,
            width="stretch",
            column_config={"seconds": st.column_config.NumberColumn(format="%.1f s")},
        )
        ratio = result.info.get("pca_variance_ratio") or []
        st.caption(
            f"{steps['seconds'].sum():,.0f} s in all. Each cell normalized to "
            f"{float(result.info['target_sum']):,.0f} counts, then log1p; {len(ratio)} PCs "
            f"explaining {sum(ratio):.0%} of the variance."
        )


def _downloads(result: AtlasResult, figure: Any, embedding: str) -> None:
    stem = f"{Path(result.name).stem}_{embedding.split(' ')[0].lower()}"
    columns = st.columns(4)
    download(
        columns[0],
        "Cells with UMAP (CSV)",
        lambda: cells_table(result).to_csv(index=False),
        f"{Path(result.name).stem}_cells.csv",
        "atlas-dl-cells",
        help=f"{result.n_cells:,} rows: every column of the cells' table and the UMAP",
    )
    image = raster_png(figure)
    if image is None:
        figure_downloads(columns[1:], figure, stem, key="atlas-dl")
        return
    download(columns[1], "Figure (PNG): every cell", image, f"{stem}.png", "atlas-dl-png")
    html = lambda: figure_bytes(figure, "html")  # noqa: E731  (made on click)
    help_text = "Interactive, offline: the image of every cell and the sample with hover"
    download(columns[2], "Figure (HTML)", html, f"{stem}.html", "atlas-dl-html", help=help_text)

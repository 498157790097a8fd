"""AppTest: an atlas result opened from the server data folder and drawn on the Embeddings
page (clusters, a gene read from the source, the steps); a matrix too large for the
memory budget summarised with the command that runs the pipeline on it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import scipy.sparse

from genodash.atlas.result import gene_expression, write_atlas_result
from genodash.examples import simulated_counts
from genodash.limits import DATA_DIR, MEMORY_BUDGET
from support import open_page, summary_metrics


def _write_result(path, source, *, step_seconds=(2.0, 5.5)):
    """A fake atlas result of every other cell of ``source`` (an AnnData written there)."""
    import anndata

    adata = anndata.read_h5ad(source)
    rows = np.arange(0, adata.n_obs, 2)
    rng = np.random.default_rng(0)
    obs = adata.obs.iloc[rows].copy()
    obs["leiden"] = pd.Categorical(rng.integers(0, 4, len(rows)).astype(str))
    obs["source_row"] = rows.astype(np.int64)
    obs["total_counts"] = np.asarray(adata.X[rows].sum(axis=1)).ravel()
    var = pd.DataFrame(
        {"source_column": np.arange(adata.n_vars, dtype=np.int64)}, index=adata.var_names
    )
    var["highly_variable"] = True
    info = {
        "source": str(source.resolve()),
        "label_column": "cell_type",
        "batch_column": "batch",
        "target_sum": 1e4,
        "pca_variance_ratio": [0.3, 0.2],
        "steps": [
            {"step": "qc", "seconds": step_seconds[0], "note": "quality control"},
            {"step": "umap", "seconds": step_seconds[1], "note": ""},
        ],
        "version": 1,
    }
    coords = rng.normal(size=(len(rows), 2))
    write_atlas_result(path, obs=obs, var=var, pca=coords, umap=coords, info=info)


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """A data folder with a 200 × 160 count matrix and an atlas result made from it."""
    root = tmp_path / "data"
    root.mkdir()
    adata = simulated_counts(n_cells=200, n_genes=160, n_types=3, seed=2).adata.copy()
    adata.X = scipy.sparse.csr_matrix(adata.X)
    adata.write_h5ad(root / "counts.h5ad")
    _write_result(root / "counts.atlas.h5ad", root / "counts.h5ad")
    monkeypatch.setenv(DATA_DIR, str(root))
    monkeypatch.delenv(MEMORY_BUDGET, raising=False)
    return root


def _open_in_folder_tab(name):
    at = open_page("pages/1_Data.py")
    at.selectbox(key="folder-file").set_value(name)
    return at.button(key="folder-open").click().run()


def _chart(at):
    (chart,) = at.get("plotly_chart")
    return json.loads(chart.proto.spec)


def test_an_atlas_result_opens_as_the_sessions_atlas_and_is_drawn(folder):
    at = open_page("pages/1_Data.py")
    (table,) = [t.value for t in at.dataframe if "Kind" in t.value.columns]
    kinds = dict(zip(table["File"], table["Kind"], strict=True))
    assert kinds["counts.atlas.h5ad"] == "atlas result (opens in seconds)"
    before = at.session_state["dataset"]
    at.selectbox(key="folder-file").set_value("counts.atlas.h5ad")
    at.button(key="folder-open").click().run()
    assert not at.exception
    opened = "Opened the atlas result counts\\.atlas\\.h5ad: 100 cells"
    assert any(opened in s.value for s in at.success), [s.value for s in at.success]
    assert at.session_state["atlas"].n_cells == 100
    assert at.session_state["dataset"] is before

    at.switch_page("pages/9_Embeddings.py").run()
    assert not at.exception
    spec = _chart(at)
    assert "all 100 cells drawn" in spec["layout"]["title"]["text"]
    assert spec["layout"]["legend"]["title"]["text"] == "Leiden cluster"
    steps = next(d.value for d in at.dataframe if "seconds" in d.value.columns)
    assert list(steps["step"]) == ["qc", "umap"]
    assert any("8 s in all" in c.value for c in at.caption)


def test_colour_by_a_gene_reads_it_from_the_source(folder):
    at = _open_in_folder_tab("counts.atlas.h5ad")
    at.switch_page("pages/9_Embeddings.py").run()
    at.selectbox(key="atlas-colour").set_value("A gene").run()
    at.text_input(key="atlas-gene").set_value("gene_00").run()
    assert any("No kept gene is called gene\\_00" in i.value for i in at.info)
    at.text_input(key="atlas-gene").set_value("gene_0042").run()
    assert not at.exception
    spec = _chart(at)
    assert spec["layout"]["coloraxis"]["colorbar"]["title"]["text"] == "gene_0042"
    expected = gene_expression(at.session_state["atlas"], "gene_0042")
    assert spec["layout"]["coloraxis"]["cmax"] == pytest.approx(float(expected.max()))


def test_a_source_outside_the_folder_is_not_read(folder, tmp_path):
    outside = tmp_path / "elsewhere.h5ad"
    outside.write_bytes((folder / "counts.h5ad").read_bytes())
    _write_result(folder / "outside.atlas.h5ad", outside)
    at = _open_in_folder_tab("outside.atlas.h5ad")
    at.switch_page("pages/9_Embeddings.py").run()
    at.selectbox(key="atlas-colour").set_value("A gene").run()
    at.text_input(key="atlas-gene").set_value("gene_0042").run()
    assert not at.exception
    assert any("holds no such file beside the result" in e.value for e in at.error)
    assert not any(str(tmp_path) in e.value for e in at.error)  # no server path shown


def test_a_copy_of_the_source_beside_the_result_is_read(folder, tmp_path):
    outside = tmp_path / "elsewhere.h5ad"
    outside.write_bytes((folder / "counts.h5ad").read_bytes())
    _write_result(folder / "moved.atlas.h5ad", outside)
    (folder / "elsewhere.h5ad").write_bytes(outside.read_bytes())
    at = _open_in_folder_tab("moved.atlas.h5ad")
    at.switch_page("pages/9_Embeddings.py").run()
    at.selectbox(key="atlas-colour").set_value("A gene").run()
    at.text_input(key="atlas-gene").set_value("gene_0042").run()
    assert not at.exception
    assert not at.error
    assert _chart(at)["layout"]["coloraxis"]["colorbar"]["title"]["text"] == "gene_0042"


def test_a_matrix_over_the_budget_shows_its_summary_and_the_command(folder, monkeypatch):
    monkeypatch.setenv(MEMORY_BUDGET, "1KB")
    at = open_page("pages/1_Data.py")
    before = at.session_state["dataset"]
    at.selectbox(key="folder-file").set_value("counts.h5ad")
    at.button(key="folder-open").click().run()
    assert not at.exception
    assert at.session_state["dataset"] is before
    too_large = "too large for memory here: it goes the out-of-core way"
    assert any(too_large in w.value for w in at.warning)
    metrics = summary_metrics(at)
    shown = (metrics["Cells"], metrics["Genes"], metrics["Memory budget"])
    assert shown == ("200", "160", "1000 B")
    (code,) = [c for c in at.code if "genodash atlas" in c.value]
    assert code.value == (
        'python -m genodash atlas "$GENODASH_DATA_DIR"/counts.h5ad '
        '--out "$GENODASH_DATA_DIR"/counts.atlas.h5ad'
    )
    assert any("already here: counts\\.atlas\\.h5ad" in i.value for i in at.info)


def test_a_matrix_within_the_budget_is_read_as_before(folder):
    at = _open_in_folder_tab("counts.h5ad")
    assert not at.exception
    assert at.session_state["dataset"].n_obs == 200
    assert summary_metrics(at)["Cells"] == "200"

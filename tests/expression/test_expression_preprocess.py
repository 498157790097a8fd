from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.sparse

from conftest import DATA
from genodash.data import MatrixSet
from genodash.errors import ConfigError
from genodash.examples import pbmc68k, simulated_counts
from genodash.expression.preprocess import (
    PreprocessConfig,
    gene_moments,
    median_total,
    normalization_factors,
    preprocess,
    scale_rows,
    seurat_dispersions,
)
from genodash.expression.qc import cell_totals, qc_metrics

STEPS = [
    "filter_cells_by_genes",
    "filter_cells_by_counts",
    "filter_cells_by_mito",
    "filter_genes_by_cells",
    "normalize_total",
    "log1p",
    "highly_variable_genes",
    "scale",
]


@pytest.fixture(scope="module")
def counts() -> MatrixSet:
    return simulated_counts(n_cells=300, n_genes=300, n_types=3, seed=0)


@pytest.fixture(scope="module")
def pbmc() -> MatrixSet:
    return pbmc68k()


def _steps(processed) -> dict[str, dict]:
    return {step["step"]: step for step in processed.steps}


def test_qc_metrics_by_hand() -> None:
    from genodash.io import read_matrix

    matrix = read_matrix(DATA / "matrix.csv")
    values = matrix.adata.X.toarray() if scipy.sparse.issparse(matrix.adata.X) else matrix.adata.X
    qc = qc_metrics(matrix)
    assert list(qc.index) == [f"cell{i}" for i in range(1, 7)]
    np.testing.assert_allclose(qc["total_counts"], values.sum(axis=1))
    np.testing.assert_array_equal(qc["n_genes"], (values != 0).sum(axis=1))
    mito = list(matrix.adata.var_names).index("MT-CO1")
    np.testing.assert_allclose(qc["pct_mito"], 100 * values[:, mito] / values.sum(axis=1))
    assert qc.attrs["value_type"] == "counts"


def test_qc_counts_no_explicit_zeros() -> None:
    import anndata

    X = scipy.sparse.csr_matrix(np.array([[0, 1, 0], [2, 0, 3], [0, 0, 0]], np.float32))
    X.data[1] = 0  # an explicitly stored zero in the second row
    qc = qc_metrics(MatrixSet(anndata.AnnData(X), "explicit zero", "example"))
    assert list(qc["n_genes"]) == [1, 1, 0]
    assert list(qc["total_counts"]) == [1, 3, 0]


def test_qc_metrics_without_mito_genes(counts) -> None:
    no_mito = MatrixSet(counts.adata[:, 13:].copy(), "no mito", "example")
    assert "pct_mito" not in qc_metrics(no_mito).columns


def test_default_recipe_records_every_step(counts) -> None:
    processed = preprocess(counts)
    assert [step["step"] for step in processed.steps] == STEPS
    steps = _steps(processed)
    assert steps["normalize_total"]["ran"] and steps["log1p"]["ran"]
    assert not steps["filter_cells_by_genes"]["ran"]
    assert steps["filter_cells_by_genes"]["note"] == "off (0)"
    # 300 genes < 2000: nothing to select
    assert not steps["highly_variable_genes"]["ran"]
    assert "all 300 genes kept" in steps["highly_variable_genes"]["note"]
    assert processed.value_type == "non-negative"
    assert processed.adata.X.dtype == np.float32
    assert scipy.sparse.issparse(processed.adata.X)
    totals = np.expm1(processed.adata.X.toarray()).sum(axis=1)
    median = float(np.median(np.asarray(counts.adata.X.sum(axis=1), dtype=np.float64)))
    np.testing.assert_allclose(totals, median, rtol=1e-3)
    assert steps["normalize_total"]["params"] == {"target_sum": median, "target": "median"}
    assert f"scaled to {median:,.6g} counts" in steps["normalize_total"]["note"]
    json.dumps(processed.summary())


@pytest.mark.parametrize("target_sum", [None, 1e4])
@pytest.mark.parametrize("layout", ["sparse", "dense"])
def test_steps_match_scanpy(counts, target_sum, layout) -> None:
    """The default target is scanpy's (the median total); a fixed one is also scanpy's."""
    import scanpy as sc

    source = counts.adata.copy()
    if layout == "dense":
        source.X = source.X.toarray()
    expected = source.copy()
    sc.pp.normalize_total(expected, target_sum=target_sum)
    sc.pp.log1p(expected)
    sc.pp.highly_variable_genes(expected, n_top_genes=100, flavor="seurat", subset=True)
    matrix = MatrixSet(adata=source, name="counts", format="example", value_type="counts")
    processed = preprocess(matrix, PreprocessConfig(n_top_genes=100, target_sum=target_sum))
    assert list(processed.adata.var_names) == list(expected.var_names)
    X = processed.adata.X
    X = X.toarray() if scipy.sparse.issparse(X) else X
    wanted = expected.X.toarray() if scipy.sparse.issparse(expected.X) else expected.X
    np.testing.assert_allclose(X, wanted, rtol=1e-5, atol=1e-6)


def test_median_target_ignores_cells_without_counts() -> None:
    assert median_total(np.array([0.0, 0.0, 10.0, 20.0, 40.0])) == 20.0
    assert median_total(np.zeros(3)) == 1.0


@pytest.mark.parametrize("layout", ["dense", "csc"])
def test_dense_or_csc_input_gives_the_same_result(counts, layout) -> None:
    other = MatrixSet(counts.adata.copy(), layout, "example")
    other.adata.X = other.adata.X.toarray() if layout == "dense" else other.adata.X.tocsc()
    config = PreprocessConfig(n_top_genes=100, min_genes_per_cell=50)
    sparse_result = preprocess(counts, config)
    other_result = preprocess(other, config)
    X = other_result.adata.X
    assert isinstance(X, np.ndarray) if layout == "dense" else X.format == "csr"
    found = X if layout == "dense" else X.toarray()
    np.testing.assert_allclose(found, sparse_result.adata.X.toarray(), rtol=1e-5)
    assert list(other_result.adata.obs_names) == list(sparse_result.adata.obs_names)
    assert list(other_result.adata.var_names) == list(sparse_result.adata.var_names)


@pytest.mark.parametrize(
    "config",
    [
        PreprocessConfig(n_top_genes=50, scale=True, min_genes_per_cell=10),
        PreprocessConfig(hvg=False),
        PreprocessConfig(normalize=False, hvg=False),
    ],
    ids=["filter-hvg-scale", "no-filter-no-hvg", "log-only"],
)
def test_input_is_not_changed(counts, config) -> None:
    before = counts.adata.X.copy()
    obs_before = counts.adata.obs.copy()
    processed = preprocess(counts, config)
    assert (before != counts.adata.X).nnz == 0
    X = processed.adata.X
    assert not np.shares_memory(X.data if scipy.sparse.issparse(X) else X, counts.adata.X.data)
    kept_cells = np.isin(counts.adata.obs_names, processed.adata.obs_names)
    kept_genes = np.isin(counts.adata.var_names, processed.adata.var_names)
    assert (processed.adata.layers["counts"] != before[kept_cells][:, kept_genes]).nnz == 0
    assert list(counts.adata.obs.columns) == list(obs_before.columns)
    assert counts.adata.n_vars == 300


def test_hvg_keeps_n_top_genes_and_their_counts(counts) -> None:
    processed = preprocess(counts, PreprocessConfig(n_top_genes=100))
    assert processed.adata.n_vars == 100
    stats = processed.gene_stats
    assert len(stats) == 300 and int(stats["highly_variable"].sum()) == 100
    assert list(processed.adata.var_names) == list(stats.index[stats["highly_variable"]])
    kept = counts.adata[:, processed.adata.var_names].X.toarray()
    np.testing.assert_array_equal(processed.adata.layers["counts"].toarray(), kept)
    assert not np.shares_memory(processed.adata.X.data, processed.adata.layers["counts"].data)
    assert _steps(processed)["highly_variable_genes"]["ran"]


def _scanpy_hvg(adata, recipe: str):
    import scanpy as sc

    adata = adata.copy()
    if recipe in ("default", "no-log"):
        sc.pp.normalize_total(adata)
    if recipe != "log-given":
        sc.pp.log1p(adata)  # the seurat flavour reads log values; without log1p we rank on them
    return sc.pp.highly_variable_genes(adata, flavor="seurat", n_top_genes=60, inplace=False)


@pytest.mark.parametrize(
    ("recipe", "config"),
    [
        ("default", PreprocessConfig(n_top_genes=60)),
        ("no-log", PreprocessConfig(n_top_genes=60, log1p=False)),
        ("counts-as-given", PreprocessConfig(n_top_genes=60, normalize=False, log1p=False)),
        ("log-given", PreprocessConfig(n_top_genes=60)),
    ],
)
@pytest.mark.parametrize("layout", ["sparse", "dense"])
def test_gene_ranking_matches_scanpy_seurat_flavor(counts, recipe, config, layout) -> None:
    adata = counts.adata.copy()
    value_type = "counts"
    if recipe == "log-given":
        adata.X = adata.X.log1p()
        value_type = "non-negative"
    if layout == "dense":
        adata.X = adata.X.toarray()
    expected = _scanpy_hvg(adata, recipe)
    stats = preprocess(MatrixSet(adata, recipe, "example", value_type=value_type), config)
    found = stats.gene_stats
    np.testing.assert_array_equal(found["highly_variable"], expected["highly_variable"])
    for column in ("means", "dispersions", "dispersions_norm"):
        np.testing.assert_allclose(found[column], expected[column], rtol=1e-5, atol=1e-6)


def test_gene_moments_in_blocks_by_hand(monkeypatch) -> None:
    monkeypatch.setattr("genodash.expression.preprocess._SCRATCH_VALUES", 4)
    values = np.array([[1, 0, 2], [0, 0, 4], [3, 1, 0], [0, 5, 6]], dtype=np.float32)
    factors = np.array([1.0, 0.5, 2.0, 0.0], dtype=np.float32)
    scaled = values * factors[:, None]  # rows [1 0 2], [0 0 2], [6 2 0], [0 0 0]
    for X in (values, scipy.sparse.csr_matrix(values)):
        mean, var = gene_moments(X, row_factors=factors)
        np.testing.assert_allclose(mean, [7 / 4, 2 / 4, 4 / 4])
        np.testing.assert_allclose(var, scaled.var(axis=0, ddof=1))
        mean, var = gene_moments(X, exponentiate=True)
        np.testing.assert_allclose(mean, np.expm1(values).mean(axis=0), rtol=1e-6)
        np.testing.assert_allclose(var, np.expm1(values).var(axis=0, ddof=1), rtol=1e-6)


def test_gene_alone_in_its_bin_gets_normalized_dispersion_one() -> None:
    # four genes with low means share the first bin; the fifth is alone in the last one
    mean = np.array([1.0, 1.01, 1.02, 1.03, 100.0])
    var = np.array([2.0, 6.0, 1.0, 3.0, 500.0])
    stats = seurat_dispersions(mean, var, n_top_genes=2)
    dispersions = np.log(var / mean)
    assert stats["dispersions_norm"].iloc[4] == pytest.approx(1.0)
    low = dispersions[:4]
    expected = (low - low.mean()) / low.std(ddof=1)
    np.testing.assert_allclose(stats["dispersions_norm"].iloc[:4], expected)
    # the top two: gene 1 (z = 1.2) and the lone gene (1.0)
    assert list(stats["highly_variable"]) == [False, True, False, False, True]


def test_no_varying_gene_is_a_config_error() -> None:
    import anndata

    X = scipy.sparse.csr_matrix(np.ones((20, 30), dtype=np.float32))
    matrix = MatrixSet(anndata.AnnData(X), "flat", "example", value_type="counts")
    with pytest.raises(ConfigError, match="no gene varies"):
        preprocess(matrix, PreprocessConfig(n_top_genes=10))


def test_hvg_without_log1p_ranks_on_log_values(counts) -> None:
    processed = preprocess(counts, PreprocessConfig(log1p=False, n_top_genes=50))
    note = _steps(processed)["highly_variable_genes"]["note"]
    assert "log(1 + value), since log1p is off" in note
    assert processed.adata.n_vars == 50


def test_scaling_makes_dense_unit_variance(counts) -> None:
    processed = preprocess(counts, PreprocessConfig(scale=True, scale_max_value=None))
    X = processed.adata.X
    assert isinstance(X, np.ndarray) and X.dtype == np.float32
    np.testing.assert_allclose(X.mean(axis=0), 0, atol=1e-4)
    np.testing.assert_allclose(X.std(axis=0, ddof=1), 1, atol=1e-3)
    assert processed.value_type == "signed"
    clipped = preprocess(counts, PreprocessConfig(scale=True, scale_max_value=2.0))
    assert np.abs(clipped.adata.X).max() == pytest.approx(2.0)


def test_filters_remove_the_expected_cells_and_genes(counts) -> None:
    qc = qc_metrics(counts)
    threshold = int(np.median(qc["n_genes"]))
    mito_cut = float(np.percentile(qc["pct_mito"], 80))
    config = PreprocessConfig(
        min_genes_per_cell=threshold, max_mito_percent=mito_cut, min_cells_per_gene=5
    )
    processed = preprocess(counts, config)
    expected = (qc["n_genes"] >= threshold) & (qc["pct_mito"] <= mito_cut)
    assert list(processed.adata.obs_names) == list(qc.index[expected])
    np.testing.assert_array_equal(processed.qc["kept"].to_numpy(), expected.to_numpy())
    kept_cells = counts.adata[expected.to_numpy()].X
    detected = np.asarray((kept_cells > 0).sum(axis=0)).ravel()
    assert processed.adata.n_vars == int((detected >= 5).sum())
    steps = _steps(processed)
    removed = int((qc["n_genes"] < threshold).sum())
    assert steps["filter_cells_by_genes"]["note"].startswith(f"removed {removed:,} cells")
    assert steps["filter_cells_by_mito"]["ran"]


def test_filter_that_empties_the_matrix_is_a_config_error(counts) -> None:
    with pytest.raises(ConfigError, match="filter_cells_by_counts"):
        preprocess(counts, PreprocessConfig(min_counts_per_cell=10**6))
    with pytest.raises(ConfigError, match="filter_genes_by_cells"):
        preprocess(counts, PreprocessConfig(min_cells_per_gene=10**4))


def test_mito_filter_without_mito_genes_is_skipped(counts) -> None:
    no_mito = MatrixSet(counts.adata[:, 13:].copy(), "no mito", "example")
    step = _steps(preprocess(no_mito, PreprocessConfig(max_mito_percent=5)))
    assert not step["filter_cells_by_mito"]["ran"]
    assert "no mitochondrial genes" in step["filter_cells_by_mito"]["note"]


def test_signed_data_go_through_unchanged(pbmc) -> None:
    config = PreprocessConfig(min_genes_per_cell=10, min_counts_per_cell=10, n_top_genes=100)
    processed = preprocess(pbmc, config)
    steps = _steps(processed)
    for name in (
        "filter_cells_by_genes",
        "filter_cells_by_counts",
        "normalize_total",
        "log1p",
        "highly_variable_genes",
    ):
        assert not steps[name]["ran"], name
        assert steps[name]["note"].startswith("skipped"), name
    np.testing.assert_array_equal(processed.adata.X, pbmc.adata.X)
    assert processed.value_type == "signed" and not processed.has_counts
    assert processed.label_column == "bulk_labels"
    assert list(processed.adata.obs["bulk_labels"]) == list(pbmc.adata.obs["bulk_labels"])


def test_normalized_data_skip_count_steps_but_select_genes(counts) -> None:
    logged = counts.adata.copy()
    logged.X = logged.X.log1p()
    matrix = MatrixSet(logged, "log data", "example", value_type="non-negative")
    processed = preprocess(matrix, PreprocessConfig(n_top_genes=40, min_genes_per_cell=1))
    steps = _steps(processed)
    assert not steps["normalize_total"]["ran"] and not steps["log1p"]["ran"]
    assert "already normalized" in steps["normalize_total"]["note"]
    assert steps["highly_variable_genes"]["ran"] and steps["filter_cells_by_genes"]["ran"]
    assert processed.adata.n_vars == 40 and not processed.has_counts


@pytest.mark.parametrize(
    "bad",
    [
        {"max_mito_percent": 0},
        {"min_genes_per_cell": -1},
        {"target_sum": 0},
        {"n_top_genes": 0},
        {"scale_max_value": -1.0},
    ],
)
def test_bad_settings_are_config_errors(bad) -> None:
    with pytest.raises(ConfigError):
        PreprocessConfig(**bad)


def test_config_fields_describe_widgets() -> None:
    from dataclasses import fields

    described = {f.name: f for f in fields(PreprocessConfig) if f.metadata}
    assert described["n_top_genes"].default == 2000
    assert described["max_mito_percent"].metadata["max"] == 100.0
    assert all(f.metadata["label"] for f in described.values())


def test_row_normalization_in_small_blocks_matches_dense(monkeypatch) -> None:
    monkeypatch.setattr("genodash.expression.preprocess._SCRATCH_VALUES", 7)
    X = scipy.sparse.random(50, 30, density=0.3, format="csr", random_state=0, dtype=np.float32)
    X = scipy.sparse.csr_matrix(X.toarray() * (np.arange(50) % 5 != 0)[:, None])  # empty rows
    dense = X.toarray()
    scale_rows(X, normalization_factors(cell_totals(X), target_sum=10.0))
    scale_rows(dense, normalization_factors(cell_totals(dense), target_sum=10.0))
    np.testing.assert_allclose(X.toarray(), dense, rtol=1e-6)
    totals = dense.sum(axis=1)
    np.testing.assert_allclose(totals[totals > 0], 10.0, rtol=1e-5)
    assert (totals[::5] == 0).all()

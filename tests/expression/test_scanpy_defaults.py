"""The table of defaults beside scanpy's tells the truth about both sides."""

from __future__ import annotations

import inspect
from dataclasses import fields

import pytest

from genodash.expression.embed import EmbeddingConfig, default_umap_epochs
from genodash.expression.preprocess import PreprocessConfig
from genodash.expression.scanpy_defaults import DEFAULTS, SAME, defaults_table


@pytest.mark.parametrize("row", DEFAULTS, ids=lambda row: f"{row.step}-{row.setting}")
def test_the_scanpy_column_is_scanpys_signature(row):
    import scanpy as sc

    module, name = row.scanpy_function.split(".")
    function = getattr(getattr(sc, module), name)
    assert inspect.signature(function).parameters[row.scanpy_parameter].default == (
        row.scanpy_default
    )


def _default(config: type, name: str) -> object:
    return next(field.default for field in fields(config) if field.name == name)


def test_the_genodash_column_is_genodashs_settings():
    said = {(row.step, row.setting): row for row in DEFAULTS}
    assert _default(PreprocessConfig, "target_sum") is None  # the median, as scanpy
    assert _default(PreprocessConfig, "n_top_genes") == 2000
    assert "2,000" in said["Highly variable genes", "how many"].genodash_says
    assert _default(PreprocessConfig, "scale") is False
    assert _default(PreprocessConfig, "scale_max_value") == 10.0
    assert _default(EmbeddingConfig, "n_pcs") == 50
    assert _default(EmbeddingConfig, "n_neighbors") == 15
    assert _default(EmbeddingConfig, "min_dist") == 0.5
    assert _default(EmbeddingConfig, "perplexity") == 30.0
    assert _default(EmbeddingConfig, "init") == "pca"
    assert [default_umap_epochs(n) for n in (2000, 10_000, 50_000, 50_001)] == [500, 200, 100, 60]
    differing = {(row.step, row.setting) for row in DEFAULTS if row.why != SAME}
    assert differing == {
        ("Highly variable genes", "how many"),
        ("Scale", "clip at"),
        ("PCA", "solver"),
        ("UMAP", "start layout"),
        ("UMAP", "epochs"),
        ("t-SNE", "learning rate"),
        ("Leiden", "iterations"),
    }


def test_the_table_has_readable_columns():
    table = defaults_table()
    assert list(table.columns) == [
        "Step",
        "Setting",
        "scanpy's default",
        "genodash's default",
        "Why",
    ]
    assert len(table) == len(DEFAULTS)

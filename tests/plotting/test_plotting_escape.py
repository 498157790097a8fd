"""User text in figures is shown as text: plotly reads titles, ticks, legends, hover text
and annotations as HTML, so every figure builder escapes labels, gene names, metadata,
IDs, file names and run titles (RELIABILITY.md, promise 12), while genodash's own markup
(bold panel titles, line breaks, superscripts) still works."""

from __future__ import annotations

import importlib
import inspect
import json
import math
import pkgutil
from collections.abc import Callable, Iterator
from typing import Any

import anndata
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

import genodash.plotting
from genodash import curse
from genodash.data import MatrixSet, SequenceSet
from genodash.expression.qc import matrix_qc
from genodash.plotting import Html, escape, markup, style
from genodash.plotting import atlas as atlas_plots
from genodash.plotting import genes as gene_plots
from genodash.plotting import reads as read_plots
from genodash.summaries import sequence_profile

LINK = '<a href="x">evil</a>'
BOLD = "<b>bold</b>"
IMAGE = "<img src=x onerror=alert(1)>"
HOSTILE = (LINK, BOLD, IMAGE)
FORBIDDEN = ("<a ", "<img", "<b>bold", "&amp;lt;")  # the last: escaped twice

RNG = np.random.default_rng(0)


# --- tiny data whose every user string is hostile ---------------------------------------------


def _sequences() -> SequenceSet:
    sequences = ["ACGTACGTAC", "GGCCAATTGC", "ACGGGCGTAA", "TTGACGTACC", "CCGTAGGTAC", "ACTTAG"]
    return SequenceSet(
        ids=tuple(f"{IMAGE}{i}" for i in range(len(sequences))),
        sequences=tuple(sequences),
        labels=tuple(HOSTILE[i % 3] for i in range(len(sequences))),
        name=LINK,
        format="example",
    )


def _matrix_qc():
    adata = anndata.AnnData(RNG.poisson(2.0, size=(12, 6)).astype(np.float32))
    adata.var_names = [f"{h}{i}" for i, h in enumerate(HOSTILE * 2)]
    return matrix_qc(MatrixSet(adata, LINK, "example"), top=4)


def _history() -> list[dict[str, float]]:
    return [
        {"epoch": e, "train_loss": 1 / e, "val_loss": 1.2 / e, "val_accuracy": 0.5 + e / 10}
        for e in (1, 2, 3)
    ]


def _read_summary() -> dict[str, Any]:
    """A streaming summary of reads (genodash.plotting.reads) with hostile class names."""
    bases = dict.fromkeys("ACGTN", 5)
    return {
        "n_reads": 6,
        "mean_length": 12.0,
        "classes": dict.fromkeys(HOSTILE, 2),
        "length_histogram": {"edges": [10, 12, 14], "counts": [3, 3]},
        "gc_histogram": {"edges": [0, 0.5, 1], "counts": [4, 2]},
        "gc_histogram_by_class": {h: [1, 1] for h in HOSTILE},
        "base_counts": bases,
        "base_counts_by_class": {h: bases for h in HOSTILE},
        "gc_fraction": 0.5,
    }


CURVE = {"fpr": [0, 0.5, 1], "tpr": [0, 0.8, 1], "recall": [0, 0.5, 1], "precision": [1, 0.8, 0.5]}
COORDS = RNG.normal(size=(6, 2))
CELLS = [f"{LINK}{i}" for i in range(6)]
LABELS = [HOSTILE[i % 3] for i in range(6)]


def _embedding(**kw: Any) -> go.Figure:
    return genodash.plotting.expression.embedding_figure(
        COORDS,
        color=kw.pop("color", LABELS),
        color_name=BOLD,
        cell_ids=CELLS,
        hover={IMAGE: LABELS, "batch": [LINK] * 6},
        **kw,
    )


def _overfitting() -> go.Figure:
    result = curse.OverfittingResult(
        features=(2, 50, 500),
        train_error=(0.5, 0.0, 0.0),
        test_error=(0.6, 0.4, 0.3),
        train_theory=(math.nan,) * 3,
        test_theory=(math.nan,) * 3,
        metric="error rate",
        model="logistic",
        data=LINK,
        n_train=60,
        n_test=640,
        reps=1,
        params={},
        seed=0,
    )
    return genodash.plotting.curse.overfitting_figure(result)


def _builders() -> Iterator[tuple[str, Callable[..., go.Figure]]]:
    """Every public function of genodash.plotting's modules that returns a plotly figure
    (``logo_figure`` draws with matplotlib, which reads no HTML)."""
    for info in pkgutil.iter_modules(genodash.plotting.__path__):
        module = importlib.import_module(f"genodash.plotting.{info.name}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            returns = inspect.signature(function).return_annotation
            public = not name.startswith("_") and not info.name.startswith("_")
            if public and function.__module__ == module.__name__ and returns == "go.Figure":
                yield f"{info.name}.{name}", function


def _figures() -> dict[str, Callable[[], go.Figure]]:
    p = genodash.plotting
    profile = sequence_profile(_sequences())
    regimes = curse.data_regimes((700, 50), (765, 10**6), names=(LINK, f"{BOLD} {IMAGE}"))
    return {
        "data.class_balance_figure": lambda: p.class_balance_figure(dict.fromkeys(HOSTILE, 2)),
        "data.category_counts_figure": lambda: p.category_counts_figure(
            dict.fromkeys(HOSTILE, 3), title=f"Cells per {BOLD}", x=LINK
        ),
        "data.length_histogram_figure": lambda: p.length_histogram_figure(profile),
        "data.gc_content_figure": lambda: p.gc_content_figure(profile),
        "data.base_composition_figure": lambda: p.base_composition_figure(profile),
        "data.motif_position_figure": lambda: p.motif_position_figure([0, 3, -1], 4, 12),
        "data.distribution_figure": lambda: p.distribution_figure(
            np.arange(40.0), title=IMAGE, x=LINK
        ),
        "data.top_genes_figure": lambda: p.top_genes_figure(_matrix_qc()),
        "training.training_curves_figure": lambda: p.training.training_curves_figure(
            {h: _history() for h in HOSTILE}
        ),
        "training.confusion_matrix_figure": lambda: p.training.confusion_matrix_figure(
            [[3, 1, 0], [0, 2, 2], [1, 0, 4]], HOSTILE
        ),
        "training.roc_figure": lambda: p.training.roc_figure(
            dict.fromkeys(HOSTILE, CURVE), title=f"ROC of {LINK}"
        ),
        "training.pr_figure": lambda: p.training.pr_figure(dict.fromkeys(HOSTILE, CURVE)),
        "training.leaderboard_figure": lambda: p.training.leaderboard_figure(
            [
                {"Model": h, "Test accuracy": 0.9, "Test AUROC": 0.8, "Test AUPRC": 0.7}
                for h in HOSTILE
            ]
        ),
        "interpret.importance_figure": lambda: p.interpret.importance_figure(
            RNG.normal(size=10),
            "ACGTNACGTA",
            title=f"Saliency for class {BOLD}",
            motif_start=2,
            motif_width=3,
        ),
        "interpret.ism_figure": lambda: p.interpret.ism_figure(
            RNG.normal(size=(4, 10)), "ACGTNACGTA", motif_start=2, motif_width=3
        ),
        "interpret.importance_profile_figure": lambda: p.interpret.importance_profile_figure(
            {h: RNG.random(10) for h in HOSTILE}, title=IMAGE, y=LINK
        ),
        "interpret.attention_figure": lambda: p.interpret.attention_figure(
            RNG.random((3, 3)), [(0, 4), (4, 8), (8, 12)], title=f"Attention of {LINK}"
        ),
        "expression.embedding_figure": lambda: _embedding(title=f"UMAP of {LINK}"),
        "expression.embedding_grid": lambda: p.expression.embedding_grid(
            [(f"{BOLD} run", COORDS, {"knn_accuracy": 0.9}), (LINK, -COORDS, {})],
            color=np.linspace(0, 1, 6),
            continuous=True,
            color_name=IMAGE,
            cell_ids=CELLS,
        ),
        "expression.qc_figure": lambda: p.expression.qc_figure(
            pd.DataFrame(
                {"total_counts": [10.0, 20, 30], "n_genes": [1.0, 2, 3], "kept": [1, 1, 0]},
                index=HOSTILE,
            ).astype({"kept": bool})
        ),
        "expression.hvg_figure": lambda: p.expression.hvg_figure(
            pd.DataFrame(
                {
                    "means": [0.1, 0.2, 0.3],
                    "dispersions_norm": [1.0, 2.0, 0.5],
                    "highly_variable": [True, False, True],
                },
                index=HOSTILE,
            )
        ),
        "curse.sparsity_sample_figure": lambda: p.sparsity_sample_figure(curse.sparsity_sample(50)),
        "curse.sparsity_figure": lambda: p.sparsity_figure(curse.sparsity((1, 2, 3), n=50)),
        "curse.distance_figure": lambda: p.distance_figure(
            curse.distance_concentration((1, 10), n=20)
        ),
        "curse.genotype_figure": lambda: p.genotype_figure(curse.genotype_cells((1, 2), n=50)),
        "curse.ols_figure": lambda: p.ols_figure(curse.ols_collapse((2, 10), n=20, reps=10)),
        "curse.variance_figure": lambda: p.variance_figure(
            curse.ml_variance_bias((1, 5), n=20, reps=10), highlight=5
        ),
        "curse.false_positive_figure": lambda: p.false_positive_figure(
            curse.extraneous_predictors((30,), (5,), reps=10)
        ),
        "curse.collinearity_figure": lambda: p.curse.collinearity_figure(
            curse.collinearity((0.0, 0.9), n=20, reps=100)
        ),
        "curse.collinearity_sample_figure": lambda: p.curse.collinearity_sample_figure(
            curse.collinearity_sample((0.0, 0.9), n=20)
        ),
        "curse.overfitting_figure": _overfitting,
        "interpret.end_composition_figure": lambda: p.interpret.end_composition_figure(
            {h: RNG.random(10) for h in HOSTILE}, {h: RNG.random(10) for h in HOSTILE}
        ),
        "interpret.end_saliency_figure": lambda: p.interpret.end_saliency_figure(
            {LINK: RNG.random(10)}, {LINK: RNG.random(10)}, ends=5, ratio=2.0
        ),
        "interpret.sample_calls_figure": lambda: p.interpret.sample_calls_figure(
            {h: RNG.random(20) for h in HOSTILE}, called=BOLD, sample_size=1000
        ),
        "expression.gene_attention_figure": lambda: p.expression.gene_attention_figure(
            RNG.random((3, 3)), HOSTILE, label=LINK, n_cells=3
        ),
        "genes.accuracy_curve_figure": lambda: gene_plots.accuracy_curve_figure(
            pd.DataFrame(
                {"ranking": list(HOSTILE), "k": [10, 20, 50], "accuracy": [0.5, 0.6, 0.7]}
            ),
            all_genes=0.8,
        ),
        "genes.ranking_bars_figure": lambda: gene_plots.ranking_bars_figure(
            pd.DataFrame({LINK: [1.0, 2.0, 3.0], "gradient": [3.0, 2.0, 1.0]}, index=HOSTILE)
        ),
        "genes.overlap_figure": lambda: gene_plots.overlap_figure(
            pd.DataFrame(
                {
                    "k": [10, 10],
                    "first": [LINK, BOLD],
                    "second": [IMAGE, LINK],
                    "shared": [1, 2],
                    "fraction": [0.1, 0.2],
                }
            ),
            n_genes=100,
        ),
        "curse.regimes_figure": lambda: p.regimes_figure(regimes),
        "reads.read_classes_figure": lambda: read_plots.read_classes_figure(_read_summary()),
        "reads.read_length_figure": lambda: read_plots.read_length_figure(_read_summary()),
        "reads.read_gc_figure": lambda: read_plots.read_gc_figure(_read_summary()),
        "reads.read_composition_figure": lambda: read_plots.read_composition_figure(
            _read_summary()
        ),
        "atlas.atlas_embedding_figure": lambda: atlas_plots.atlas_embedding_figure(
            COORDS,
            color=LABELS,
            color_name=BOLD,
            cell_ids=CELLS,
            hover={IMAGE: LABELS},
            title=f"UMAP of {LINK}",
            webgl_limit=3,
            sample_size=4,
            canvas=(40, 30),
        ),
    }


FIGURES = _figures()


def _strings(value: Any) -> Iterator[str]:
    """Every string in a decoded JSON value (plotly's JSON writes ``<`` as ``\\u003c``)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _texts(fig: go.Figure) -> list[str]:
    spec = json.loads(fig.to_json())
    spec["layout"].pop("template", None)
    return list(_strings(spec))


def test_every_figure_builder_is_built_here():
    assert {name for name, _ in _builders()} == set(FIGURES)


@pytest.mark.parametrize("name", list(FIGURES))
def test_user_text_is_escaped_in_every_figure(name):
    texts = _texts(FIGURES[name]())
    for text in texts:
        assert not any(bad in text for bad in FORBIDDEN), (name, text)


@pytest.mark.parametrize(
    "name",
    [
        "data.class_balance_figure",
        "data.category_counts_figure",
        "data.length_histogram_figure",
        "data.base_composition_figure",
        "data.top_genes_figure",
        "training.training_curves_figure",
        "training.confusion_matrix_figure",
        "training.roc_figure",
        "training.leaderboard_figure",
        "interpret.importance_figure",
        "interpret.importance_profile_figure",
        "interpret.attention_figure",
        "expression.embedding_figure",
        "expression.embedding_grid",
        "expression.hvg_figure",
        "atlas.atlas_embedding_figure",
        "curse.overfitting_figure",
        "curse.regimes_figure",
        "reads.read_classes_figure",
        "reads.read_gc_figure",
        "reads.read_composition_figure",
    ],
)
def test_escaped_user_text_is_still_there_to_read(name):
    """Escaped, not dropped: plotly draws ``&lt;b&gt;`` as ``<b>``."""
    shown = "\n".join(_texts(FIGURES[name]()))
    assert any(escape(h) in shown for h in HOSTILE), name


def test_where_each_user_text_goes():
    fig = FIGURES["data.category_counts_figure"]()
    assert fig.layout.title.text == "Cells per &lt;b&gt;bold&lt;/b&gt;"
    assert fig.layout.xaxis.title.text == '&lt;a href="x"&gt;evil&lt;/a&gt;'
    assert list(fig.data[0].x) == [escape(h) for h in HOSTILE]
    composition = FIGURES["data.base_composition_figure"]()
    assert {a.text for a in composition.layout.annotations} == {escape(h) for h in HOSTILE}
    assert all("<extra>&lt;" in t.hovertemplate for t in composition.data)
    confusion = FIGURES["training.confusion_matrix_figure"]().data[0]
    assert list(confusion.x) == list(confusion.y) == [escape(h) for h in HOSTILE]
    curves = FIGURES["training.training_curves_figure"]()
    assert curves.data[0].name.startswith("&lt;a href")
    embedding = FIGURES["expression.embedding_figure"]()
    assert embedding.layout.legend.title.text == escape(BOLD)
    assert {t.name for t in embedding.data} == {escape(h) for h in HOSTILE}
    grid = FIGURES["expression.embedding_grid"]()
    assert grid.layout.coloraxis.colorbar.title.text == escape(IMAGE)
    assert "Embeddings coloured by &lt;img" in grid.layout.title.text
    regimes = FIGURES["curse.regimes_figure"]()
    assert escape(LINK) in {a.text for a in regimes.layout.annotations}


def test_genodash_markup_still_works():
    grid = FIGURES["expression.embedding_grid"]()
    panel = grid.layout.annotations[0].text
    assert panel.startswith("<b>&lt;b&gt;bold&lt;/b&gt; run</b><br><span")
    assert "kNN acc. 0.90" in panel
    single = _embedding(title=BOLD)
    hover = single.data[0].text[0]
    assert hover.startswith("<b>&lt;a href") and "<br>&lt;img src=x" in hover
    assert "<br>batch: &lt;a href" in hover
    confusion = FIGURES["training.confusion_matrix_figure"]().data[0]
    assert confusion.text[0][0] == "3<br>75%"
    regimes = FIGURES["curse.regimes_figure"]()
    assert "<sup>" in regimes.data[0].name
    assert any(a.text.startswith("<b>P ≫ N</b>") for a in regimes.layout.annotations)
    genotypes = FIGURES["curse.genotype_figure"]()
    assert any("<sup>m</sup>" in (t.name or "") for t in genotypes.data)
    positives = FIGURES["curse.false_positive_figure"]()
    titles = [a.text for a in positives.layout.annotations]
    assert "P &lt; 0.05" in titles[0]  # genodash's own "<" is escaped too, drawn as "<"
    assert "<br>" in titles[1]


def test_escape_is_idempotent_and_markup_escapes_only_its_parts():
    once = escape(BOLD)
    assert once == "&lt;b&gt;bold&lt;/b&gt;" and isinstance(once, Html)
    assert escape(once) == once
    assert escape("\"a\" & 'b'") == "\"a\" &amp; 'b'"  # plotly shows &quot; as typed
    assert (
        markup("<b>{}</b> {:,} {}", BOLD, 1234, once)
        == "<b>&lt;b&gt;bold&lt;/b&gt;</b> 1,234 " + once
    )
    fig = style(go.Figure(go.Bar(x=[BOLD], y=[1], name=once)), title=once, x=Html("<i>x</i>"))
    style(fig, title=fig.layout.title.text)  # styled twice, escaped once
    assert fig.layout.title.text == once
    assert fig.layout.xaxis.title.text == "<i>x</i>"
    assert list(fig.data[0].x) == [once] and fig.data[0].name == once


def test_data_page_escapes_hostile_fasta_labels():
    from support import open_page, upload

    fasta = (
        b">s1 label=<b>bold</b>\nACGTACGTAC\n"
        b">s2 label=<img/src=x/onerror=alert(1)>\nACGTTTGTAC\n"
        b">s3 label=<b>bold</b>\nACGGGCGTAC\n"
    )
    at = upload(open_page("pages/1_Data.py"), ("hostile.fa", fasta))
    assert not at.exception
    charts = at.get("plotly_chart")
    (balance,) = [c for c in charts if c.proto.id.endswith("-chart-classes")]
    spec = json.loads(balance.proto.spec)
    assert spec["data"][0]["x"] == ["&lt;b&gt;bold&lt;/b&gt;", "&lt;img/src=x/onerror=alert(1)&gt;"]
    for chart in charts:  # the class balance, and the lengths, GC and composition by class
        for text in _strings(json.loads(chart.proto.spec)):
            assert "<img" not in text and "<b>bold" not in text, (chart.proto.id, text)

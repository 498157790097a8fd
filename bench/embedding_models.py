"""Embeddings side by side: kNN accuracy and trustworthiness of PCA, t-SNE, UMAP and learned
latent spaces, on PBMC 68k (reduced) and on the simulated counts example.

Every method is scored with genodash's own scores (``embedding_scores``: leave-one-out
15-nearest-neighbour label accuracy, and trustworthiness against the values the models
read: the scaled PBMC values, the log-normalized simulated counts). Rows:

- ``pca``: the first 2 principal components (the picture) and the first 10;
- ``tsne`` / ``umap``: of the first 50 principal components;
- any registered expression model (``autoencoder``, ``scvis``, later ``gene-transformer``):
  trained with its default settings (``--set MODEL:KEY=VALUE`` overrides one), its latent
  scored as it is, and, when it has more than 2 dimensions, drawn as the course figure
  does (PCA of it, 2 components) and as t-SNE of it. For scvis
  the held-out (test) cells are also scored alone: placed by the encoder after training,
  do their 15 nearest training cells share their label?

Run: python bench/embedding_models.py [--models pca tsne umap autoencoder scvis]
     [--data pbmc68k simulated] [--seeds 0 1] [--set autoencoder:dropout=0]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as `python bench/NAME.py` from a fresh clone

from genodash.examples import load_example, simulated_counts
from genodash.expression.embed import EmbeddingConfig, embed, pca_coordinates
from genodash.expression.preprocess import PreprocessConfig, preprocess
from genodash.expression.scores import embedding_scores
from genodash.train.expression import default_train_config, prepare_matrix, train_expression_model

PICTURES = ("pca", "tsne", "umap")
COURSE = {"autoencoder": {"preset": "course 8-layer"}}  # the course preset, not "custom"


def load(name: str) -> tuple[str, np.ndarray, np.ndarray, object]:
    """(title, values the models read, labels, processed AnnData)."""
    if name == "pbmc68k":
        matrix = load_example("pbmc68k")
        adata, label = matrix.adata, "bulk_labels"
    else:
        matrix = simulated_counts()
        adata, label = preprocess(matrix, PreprocessConfig()).adata, "cell_type"
    X = np.asarray(adata.X.todense() if hasattr(adata.X, "todense") else adata.X, np.float32)
    adata.obs["label"] = adata.obs[label].astype(str)
    return matrix.name, X, adata.obs["label"].to_numpy(), adata


def row(name: str, X: np.ndarray, coords: np.ndarray, labels: np.ndarray, note: str = "") -> None:
    scores = embedding_scores(X, coords, labels=labels)
    print(
        f"  {name:34} kNN accuracy {scores['knn_accuracy']:.4f}  trustworthiness "
        f"{scores['trustworthiness']:.4f}{note}",
        flush=True,
    )


def pictures(X: np.ndarray, labels: np.ndarray, method: str) -> None:
    pcs = pca_coordinates(X, 50, seed=0)
    if method == "pca":
        row("PCA, 2 components", X, pcs[:, :2], labels)
        row("PCA, 10 components", X, pcs[:, :10], labels)
        return
    picture = embed(pcs, EmbeddingConfig(method=method, seed=0), input_name="pca")
    row(f"{picture.title} of 50 PCs", X, picture.coords, labels, f"  ({picture.seconds:.1f} s)")


def learned(adata, X, labels, model: str, seed: int, settings: dict) -> None:
    prepared = prepare_matrix(adata, source_name="bench", label_column="label", seed=0)
    config = {**COURSE.get(model, {}), **settings.get(model, {})}
    started = time.perf_counter()
    run = train_expression_model(
        prepared,
        model,
        model_config=config,
        train_config=default_train_config(model, seed=seed),
    )
    seconds = time.perf_counter() - started
    latent = run.tables["latent"].iloc[:, 1:].to_numpy()
    m = run.metrics
    name = f"{model} {latent.shape[1]}-D (seed {seed})"
    row(name, X, latent, labels, f"  ({m['epochs_run']} epochs, {seconds:.0f} s) {config or ''}")
    if latent.shape[1] > 2:
        row(f"PCA of {model} latent, 2 components", X, pca_coordinates(latent, 2), labels)
        picture = embed(latent, EmbeddingConfig(method="tsne", seed=0), input_name="latent")
        row(f"t-SNE of {model} latent", X, picture.coords, labels)
    else:
        held_out_accuracy(latent, labels, prepared.split.train, prepared.split.test)


def held_out_accuracy(latent, labels, train, test) -> None:
    from sklearn.neighbors import KNeighborsClassifier

    classifier = KNeighborsClassifier(n_neighbors=15).fit(latent[train], labels[train])
    accuracy = float(np.mean(classifier.predict(latent[test]) == labels[test]))
    print(f"    held-out cells ({len(test)}) placed among training cells: kNN {accuracy:.4f}")


def parse_settings(assignments: list[str]) -> dict[str, dict]:
    settings: dict[str, dict] = {}
    for text in assignments:
        model, _, pair = text.partition(":")
        key, _, value = pair.partition("=")
        for kind in (int, float):
            try:
                value = kind(value)
                break
            except ValueError:
                continue
        settings.setdefault(model, {})[key] = value
    return settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=[*PICTURES, "autoencoder", "scvis"])
    parser.add_argument("--data", nargs="+", default=["pbmc68k", "simulated"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--set", nargs="*", default=[], help="MODEL:KEY=VALUE")
    args = parser.parse_args()
    settings = parse_settings(args.set)
    started = time.perf_counter()
    for data in args.data:
        title, X, labels, adata = load(data)
        print(f"{title}: {X.shape[0]:,} cells × {X.shape[1]:,} genes", flush=True)
        for model in args.models:
            if model in PICTURES:
                pictures(X, labels, model)
                continue
            for seed in args.seeds:
                learned(adata, X, labels, model, seed, settings)
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()

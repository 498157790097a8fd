"""Quality of the expression models against PCA, with genodash's own scores.

Printed, all measured in this one run (every model with its default settings):

1. PBMC 68k reduced (700 real cells, 765 scaled genes, label ``bulk_labels``): leave-one-out
   15-nearest-neighbour label accuracy of PCA (first 10 and all 50 components) against the
   dense autoencoder's 10-dimensional latent space (three training seeds); then t-SNE and
   UMAP of each, with kNN accuracy and trustworthiness (against the scaled data) of the
   2-D pictures. Target: the latent's kNN accuracy within 0.03 of PCA's, or better.
2. Simulated counts (3,000 cells × 1,000 genes, 6 types, 2 batches, batch strength 0.5
   and 1.0), preprocessed with the defaults (log-normalized): PCA (10 components) against
   the negative-binomial VAE with the batch covariate, and without it as a control —
   batch mixing (k = 50; 1 = batches fully mixed) and kNN label accuracy. Target: VAE
   mixing clearly above PCA's while losing at most 0.05 kNN accuracy.
3. The simulated RNA + protein example (2,000 cells, 6 types): kNN label accuracy of RNA
   PCA, protein CLR values, and the two-modality model's RNA-only, protein-only and joint
   latents, over all cells and over the test cells alone. Expected: only the joint latent
   separates all six types (CD4/CD8 T cells differ only in protein, naive/memory B cells
   only in RNA).

Run: python bench/expression_quality.py
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as `python bench/NAME.py` from a fresh clone

from genodash.examples import load_example, second_modality, simulated_counts
from genodash.expression.arrays import centred_log_ratio
from genodash.expression.embed import EmbeddingConfig, embed, pca_coordinates
from genodash.expression.preprocess import PreprocessConfig, preprocess
from genodash.expression.scores import batch_mixing, knn_accuracy, trustworthiness
from genodash.train.expression import default_train_config, prepare_matrix, train_expression_model

LATENT_DIM = 10


def latent_of(prepared, model_name, *, seed=0, **config):
    started = time.perf_counter()
    run = train_expression_model(
        prepared,
        model_name,
        model_config={"latent_dim": LATENT_DIM, **config},
        train_config=default_train_config(model_name, seed=seed),
    )
    latent = run.tables["latent"].iloc[:, 1:].to_numpy()
    metrics = run.metrics
    print(
        f"    trained {model_name} {config or ''} seed {seed}: {metrics['epochs_run']} epochs "
        f"(best {metrics['best_epoch']}, {metrics['stop_reason']}), test loss "
        f"{metrics['test_loss']:.4f}, {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    return latent


def pictures(name, coords, X, labels):
    for method in ("tsne", "umap"):
        picture = embed(coords, EmbeddingConfig(method=method, seed=0), input_name=name)
        print(
            f"  {method:4} of {name:18} kNN accuracy {knn_accuracy(picture.coords, labels):.4f}"
            f"  trustworthiness {trustworthiness(X, picture.coords):.4f}"
            f"  ({picture.seconds:.1f} s)",
            flush=True,
        )


def pbmc() -> None:
    print("1. PBMC 68k reduced: PCA against the autoencoder latent", flush=True)
    matrix = load_example("pbmc68k")
    X = np.asarray(matrix.adata.X, dtype=np.float32)
    labels = matrix.adata.obs["bulk_labels"].astype(str).to_numpy()
    pcs = pca_coordinates(X, 50, seed=0)
    pca_score = knn_accuracy(pcs[:, :LATENT_DIM], labels)
    print(f"  PCA {LATENT_DIM} components  kNN accuracy {pca_score:.4f}")
    print(f"  PCA 50 components  kNN accuracy {knn_accuracy(pcs, labels):.4f}")
    prepared = prepare_matrix(
        matrix.adata, source_name=matrix.name, label_column="bulk_labels", seed=0
    )
    latents = [latent_of(prepared, "autoencoder", seed=seed) for seed in (0, 1, 2)]
    scores = [knn_accuracy(z, labels) for z in latents]
    print(
        f"  autoencoder latent ({LATENT_DIM}-D) kNN accuracy "
        + ", ".join(f"{s:.4f}" for s in scores)
        + f"; mean {np.mean(scores):.4f} (PCA {pca_score:.4f}, difference "
        f"{np.mean(scores) - pca_score:+.4f}; target ≥ -0.03)"
    )
    print(
        f"  {LATENT_DIM}-D trustworthiness: PCA {trustworthiness(X, pcs[:, :LATENT_DIM]):.4f}, "
        f"latent {trustworthiness(X, latents[0]):.4f}"
    )
    pictures(f"PCA ({LATENT_DIM} PCs)", pcs[:, :LATENT_DIM], X, labels)
    pictures("latent (seed 0)", latents[0], X, labels)


def simulated(batch_strength: float) -> None:
    print(f"2. Simulated counts, 6 types, 2 batches, batch strength {batch_strength}", flush=True)
    matrix = simulated_counts(
        n_cells=3000, n_genes=1000, n_types=6, n_batches=2, batch_strength=batch_strength
    )
    processed = preprocess(matrix, PreprocessConfig())
    labels = processed.adata.obs["cell_type"].astype(str).to_numpy()
    batches = processed.adata.obs["batch"].astype(str).to_numpy()
    pcs = pca_coordinates(processed.adata.X, LATENT_DIM, seed=0)
    prepared = prepare_matrix(
        processed.adata,
        source_name=matrix.name,
        label_column="cell_type",
        batch_column="batch",
        seed=0,
    )
    rows = [("PCA (log-normalized)", pcs)]
    rows.append(("VAE + batch covariate", latent_of(prepared, "vae")))
    rows.append(("VAE, no covariate", latent_of(prepared, "vae", n_batches=0)))
    for name, coords in rows:
        mixing, accuracy = batch_mixing(coords, batches), knn_accuracy(coords, labels)
        print(f"  {name:22} batch mixing {mixing:.4f}  kNN accuracy {accuracy:.4f}", flush=True)


def cite_seq() -> None:
    print("3. Simulated RNA + protein: each modality alone against the joint latent", flush=True)
    matrix = load_example("simulated-cite-seq")
    processed = preprocess(matrix, PreprocessConfig())
    protein = second_modality(matrix)
    labels = processed.adata.obs["cell_type"].astype(str).to_numpy()
    prepared = prepare_matrix(
        processed.adata,
        source_name=matrix.name,
        label_column="cell_type",
        second=protein,
        seed=0,
    )
    run = train_expression_model(
        prepared,
        "integration",
        model_config={"latent_dim": LATENT_DIM},
        train_config=default_train_config("integration"),
    )
    test = prepared.split.test
    rows = [
        ("RNA PCA", pca_coordinates(processed.adata.X, LATENT_DIM, seed=0)),
        ("protein CLR", centred_log_ratio(protein.X)),
        ("RNA latent", run.tables["latent_first"].iloc[:, 1:].to_numpy()),
        ("protein latent", run.tables["latent_second"].iloc[:, 1:].to_numpy()),
        ("joint latent", run.tables["latent"].iloc[:, 1:].to_numpy()),
    ]
    for name, coords in rows:
        everyone, tested = knn_accuracy(coords, labels), knn_accuracy(coords[test], labels[test])
        print(
            f"  {name:15} kNN accuracy {everyone:.4f} (all cells), {tested:.4f} (test cells)",
            flush=True,
        )


def main() -> None:
    started = time.perf_counter()
    pbmc()
    for strength in (0.5, 1.0):
        simulated(strength)
    cite_seq()
    print(f"total {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()
    main()

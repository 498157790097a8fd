from __future__ import annotations

import anndata
import numpy as np
import pandas as pd
import pytest
import torch

from genodash.errors import ConfigError
from genodash.models import MODELS, build_model
from genodash.models.scvis import input_affinities, latent_log_affinities, tsne_divergence
from genodash.train.expression import (
    default_train_config,
    prepare_matrix,
    train_expression_model,
)

GENES = 12


def clusters(n_per: int = 20, seed: int = 0) -> tuple[torch.Tensor, np.ndarray]:
    """Three well-separated groups of cells in GENES dimensions, and their labels."""
    generator = torch.Generator().manual_seed(seed)
    centres = torch.randn(3, GENES, generator=generator) * 4
    labels = np.repeat(np.arange(3), n_per)
    x = centres[labels] + torch.randn(len(labels), GENES, generator=generator) * 0.3
    return x, labels


def test_scvis_is_registered_after_the_vae_with_a_2d_latent():
    names = list(MODELS)
    assert names.index("scvis") == names.index("vae") + 1
    assert MODELS["scvis"].kind == "expression" and "latent" in MODELS["scvis"].shows
    assert MODELS["scvis"].config().latent_dim == 2


def test_shapes_and_2d_latent():
    model = build_model("scvis", n_outputs=GENES, seed=0).eval()
    x, _ = clusters()
    assert model.encode(x).shape == (60, 2)
    assert model(x).shape == (60, GENES)
    terms = model.loss(x)
    assert terms.total.shape == terms.reconstruction.shape == terms.kl.shape == (60,)
    assert terms.parts["tsne"].shape == (60,)
    assert model.latents(x)["latent"].shape == (60, 2)


def test_affinities_are_symmetric_distributions_with_the_asked_perplexity():
    x, _ = clusters()
    p = input_affinities(x, 8.0)
    assert torch.allclose(p, p.T) and torch.allclose(p.sum(), torch.tensor(1.0), atol=1e-5)
    assert torch.all(p.diagonal() == 0)
    q = latent_log_affinities(torch.randn(60, 2), 1.0).exp()
    assert torch.allclose(q.sum(), torch.tensor(1.0), atol=1e-5)


def test_tsne_term_is_finite_and_lower_for_a_neighbour_keeping_latent():
    x, labels = clusters()
    kept = torch.tensor(np.c_[np.cos(labels * 2.1), np.sin(labels * 2.1)] * 10, dtype=torch.float)
    kept = kept + torch.randn(60, 2, generator=torch.Generator().manual_seed(1)) * 0.3
    shuffled = kept[torch.randperm(60, generator=torch.Generator().manual_seed(2))]
    good = tsne_divergence(x, kept, perplexity=10, degrees_of_freedom=1).mean()
    bad = tsne_divergence(x, shuffled, perplexity=10, degrees_of_freedom=1).mean()
    assert torch.isfinite(good) and torch.isfinite(bad)
    assert good < bad - 0.5


def test_tiny_batches_add_no_tsne_term():
    x, _ = clusters()
    assert torch.equal(tsne_divergence(x[:3], x[:3, :2], perplexity=10, degrees_of_freedom=1),
                       torch.zeros(3))  # fmt: skip


def test_no_hidden_layer_is_refused():
    with pytest.raises(ConfigError, match="hidden layer"):
        build_model("scvis", n_outputs=GENES, hidden="")


def matrix(n_per: int = 40) -> anndata.AnnData:
    x, labels = clusters(n_per)
    obs = pd.DataFrame(
        {"cell_type": [f"type{i}" for i in labels]}, index=[f"c{i}" for i in range(len(labels))]
    )
    var = pd.DataFrame(index=[f"g{i}" for i in range(GENES)])
    return anndata.AnnData(X=x.numpy(), obs=obs, var=var)


def test_trains_through_the_expression_path_loss_falls_and_maps_held_out_cells():
    prepared = prepare_matrix(matrix(), source_name="toy", label_column="cell_type", seed=0)
    config = default_train_config("scvis", epochs=15, batch_size=64, seed=0)
    run = train_expression_model(prepared, "scvis", train_config=config)
    losses = [record["train_loss"] for record in run.history]
    assert losses[-1] < losses[0]
    latent = run.tables["latent"].iloc[:, 1:].to_numpy()
    assert latent.shape == (prepared.n_obs, 2)
    held_out = latent[prepared.split.test]  # cells the encoder never trained on
    assert len(held_out) > 0 and np.isfinite(held_out).all()
    train = latent[prepared.split.train]
    labels = np.asarray(prepared.labels)
    nearest = np.argmin(((held_out[:, None] - train[None]) ** 2).sum(axis=2), axis=1)
    placed = labels[prepared.split.train][nearest] == labels[prepared.split.test]
    assert placed.mean() >= 0.9  # placed beside training cells of their own type
    assert default_train_config("scvis").batch_size == 512  # enough cells for P

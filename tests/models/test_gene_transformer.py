from __future__ import annotations

import numpy as np
import pytest
import torch

from genodash.errors import ConfigError
from genodash.models import MODELS, build_model
from genodash.models.gene_transformer import label_attention, value_bins
from genodash.models.memory import estimate_training_memory

GENES = 24


def cells(n: int = 40, seed: int = 0) -> torch.Tensor:
    """Log-like values with zeros: two groups of cells; the first six genes are off in the
    first group and high in the second."""
    generator = torch.Generator().manual_seed(seed)
    counts = torch.poisson(torch.full((n, GENES), 1.5), generator=generator)
    counts[: n // 2, :6] = 0
    counts[n // 2 :, :6] += 6
    return torch.log1p(counts)


def make(**config) -> torch.nn.Module:
    settings = {"width": 16, "heads": 2, "layers": 1, "latent_dim": 4, **config}
    return build_model("gene-transformer", n_outputs=GENES, seed=0, **settings)


def test_registered_last_and_described_with_how_it_differs_from_scgpt():
    assert list(MODELS)[-1] == "gene-transformer"
    spec = MODELS["gene-transformer"]
    assert spec.kind == "expression" and "latent" in spec.shows
    assert "33 million" in spec.description and "fine-tuned" in spec.description


def test_value_bins_are_per_cell_ranks_with_zero_for_zero():
    values = torch.tensor([[0.0, 1.0, 2.0, 3.0, 4.0, 4.0], [5.0, 0.0, 0.0, 0.1, 7.0, -1.0]])
    bins = value_bins(values, 2)
    assert bins.tolist() == [[0, 1, 1, 1, 2, 2], [2, 0, 0, 1, 2, 1]]
    assert value_bins(values * 10, 2).tolist() == bins.tolist()  # depth does not matter


def test_shapes_of_tokens_outputs_and_latent():
    model = make(n_tokens=10).eval()
    x = cells(7)
    tokens = model.tokenize(x)
    assert tokens.genes.shape == tokens.values.shape == (7, 10)
    assert torch.equal(tokens.values, x[:, model.token_genes])  # the values themselves
    assert model(x).shape == (7, 10)  # each token's value, read from the latent
    assert model.encode(x).shape == (7, 4)
    assert model.latents(x)["latent"].shape == (7, 4)
    assert make(cell_embedding="CLS").encode(x).shape == (7, 4)


def test_per_cell_bins_are_levels_from_0_to_1():
    model = make(n_tokens=10, value_input="per-cell bins", value_bins=5).eval()
    x = cells(7)
    levels = model.tokenize(x).values
    expected = value_bins(x[:, model.token_genes], 5).float() / 5
    assert torch.equal(levels, expected)
    assert model.encode(x).shape == (7, 4)


def test_a_hidden_value_does_not_reach_the_latent():
    model = make(n_tokens=10).eval()
    x = cells(8)
    masked = model.mask_positions(8, torch.device("cpu"))
    gene = int(masked[0].nonzero()[0])  # a hidden token of the first cell
    changed = x.clone()
    changed[0, model.token_genes[gene]] += 5.0
    latent = model._latent(model.tokenize(x), masked)
    assert torch.equal(latent, model._latent(model.tokenize(changed), masked))
    assert not torch.equal(model.encode(x)[0], model.encode(changed)[0])  # when seen, it does


def test_token_genes_are_the_most_variable_training_genes():
    model = make(n_tokens=6)
    x = cells()
    model.adapt_to_cells(x)
    assert model.token_genes.tolist() == list(range(6))  # the genes that differ by group
    assert torch.equal(model.tokenize(x).genes[3], model.token_genes)  # same genes, every cell
    assert make(n_tokens=100).n_tokens == GENES  # never more tokens than genes


@pytest.mark.parametrize("share", [0.15, 0.4])
def test_masking_hides_the_set_share_and_repeats_from_the_seed(share):
    model = make(mask_share=share).train()
    model.seed_sampling(3, "cpu")
    first = model.mask_positions(50, torch.device("cpu"))
    assert (first.sum(dim=1) == round(share * GENES)).all()
    model.seed_sampling(3, "cpu")
    assert torch.equal(model.mask_positions(50, torch.device("cpu")), first)
    model.seed_sampling(4, "cpu")
    assert not torch.equal(model.mask_positions(50, torch.device("cpu")), first)


def test_evaluation_masks_the_same_tokens_every_time():
    model = make().eval()
    a, b = (model.mask_positions(5, torch.device("cpu")) for _ in range(2))
    assert torch.equal(a, b)


def test_loss_is_per_cell_and_reaches_every_parameter():
    model = make(dropout=0.0, cell_embedding="CLS").train()
    model.seed_sampling(0, "cpu")
    loss = model.loss(cells(8))
    assert loss.total.shape == loss.reconstruction.shape == (8,)
    loss.total.mean().backward()
    for name, parameter in model.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name


def test_loss_falls_over_a_few_epochs():
    torch.manual_seed(0)
    model = make(dropout=0.0).train()
    x = cells(64)
    model.adapt_to_cells(x)
    model.seed_sampling(0, "cpu")
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(30):
        for batch in x.split(16):
            loss = model.loss(batch).total.mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        losses.append(float(loss.detach()))
    assert np.mean(losses[-5:]) < 0.85 * np.mean(losses[:5])


def test_label_attention_is_a_mean_of_row_stochastic_maps():
    model = make(n_tokens=12)
    x = cells(30)
    model.adapt_to_cells(x)
    labels = ["A"] * 15 + ["B"] * 15
    genes = [f"G{i}" for i in range(GENES)]
    shown = label_attention(model, x.numpy(), labels, "B", genes=genes, top_n=5)
    assert shown.weights.shape == (5, 5) and len(shown.genes) == 5 and shown.n_cells == 15
    assert np.allclose(shown.weights.sum(axis=1), 1.0, atol=1e-5)
    assert set(shown.genes) <= {genes[i] for i in model.token_genes.tolist()}
    every = label_attention(model, x.numpy(), labels, "A", genes=genes, top_n=50)
    assert every.weights.shape == (12, 12)
    with pytest.raises(ConfigError, match="no cell has the label 'C'"):
        label_attention(model, x.numpy(), labels, "C", genes=genes)


def test_memory_estimate_grows_faster_than_the_tokens():
    example = (cells(1),)
    per_cell = [
        estimate_training_memory(
            "gene-transformer",
            example,
            n_outputs=GENES,
            batch_size=64,
            config={"n_tokens": n, "width": 16, "heads": 4},
        ).per_example_bytes
        for n in (6, 24)
    ]
    assert per_cell[1] > 4 * per_cell[0]  # 4× the tokens: attention is 16× the pairs


def test_bad_settings_are_refused():
    with pytest.raises(ConfigError, match="not divisible by 3 heads"):
        make(width=16, heads=3)
    with pytest.raises(ConfigError, match="unknown value_input 'ranks'"):
        make(value_input="ranks")
    with pytest.raises(ConfigError, match="mask_share must be between 0.15 and 0.4"):
        MODELS["gene-transformer"].config(mask_share=0.5)

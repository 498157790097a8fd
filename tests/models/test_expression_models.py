from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats

from genodash.errors import ConfigError
from genodash.models import MODELS, build_model, count_parameters, layer_table
from genodash.models.expression import (
    gaussian_kl,
    gaussian_log_likelihood,
    negative_binomial_log_likelihood,
    parse_widths,
)

EXPRESSION_MODELS = [name for name, spec in MODELS.items() if spec.kind == "expression"]
GENES, PROTEINS = 30, 6


def counts(n: int = 8, genes: int = GENES, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.poisson(torch.full((n, genes), 3.0), generator=generator)


def make(name: str, **config) -> torch.nn.Module:
    if name == "integration":
        config.setdefault("n_inputs_second", PROTEINS)
    return build_model(name, n_outputs=GENES, seed=0, **config)


def loss_inputs(name: str, n: int = 8) -> tuple[torch.Tensor, ...]:
    x = counts(n)
    if name == "vae":
        return x, torch.arange(n) % 2
    if name == "integration":
        return torch.log1p(x), torch.randn(n, PROTEINS, generator=torch.Generator().manual_seed(1))
    return (torch.log1p(x),)


def test_the_registry_lists_three_described_expression_models():
    assert EXPRESSION_MODELS == ["autoencoder", "vae", "scvis", "integration", "gene-transformer"]
    for name in EXPRESSION_MODELS:
        assert len(MODELS[name].description.split()) > 30


def test_autoencoder_shapes():
    model = make("autoencoder", latent_dim=4, hidden="16,8")
    x = torch.randn(5, GENES)
    assert model.encode(x).shape == (5, 4)
    assert model(x).shape == (5, GENES)


def test_vae_shapes_and_mean_encoding_in_eval_mode():
    model = make("vae", latent_dim=3, n_batches=2).eval()
    x, batch = loss_inputs("vae", 6)
    assert model.encode(x, batch).shape == (6, 3)
    expected = model(x, batch)
    assert expected.shape == (6, GENES)
    # negative binomial: the expected counts of a cell add up to its library size
    assert torch.allclose(expected.sum(dim=1), x.sum(dim=1), rtol=1e-4)
    first, second = model.loss(x, batch), model.loss(x, batch)
    assert torch.equal(first.total, second.total)  # no sampling in eval mode
    assert first.total.shape == (6,)


def test_integration_shapes():
    model = make("integration", latent_dim=5).eval()
    first, second = loss_inputs("integration", 7)
    assert model.encode_first(first).shape == (7, 5)
    assert model.encode_second(second).shape == (7, 5)
    joint = model.encode_joint(first, second)
    assert torch.allclose(joint, (model.encode_first(first) + model.encode_second(second)) / 2)
    assert model(torch.cat([first, second], dim=1)).shape == (7, GENES + PROTEINS)


@pytest.mark.parametrize("name", EXPRESSION_MODELS)
def test_backward_gives_finite_nonzero_gradients_to_every_parameter(name):
    config = {"n_batches": 2} if name == "vae" else {}
    model = make(name, dropout=0.0, **config).train()
    model.loss(*loss_inputs(name)).total.mean().backward()
    for parameter_name, parameter in model.named_parameters():
        assert parameter.grad is not None, parameter_name
        assert torch.isfinite(parameter.grad).all(), parameter_name
        assert parameter.grad.abs().sum() > 0, parameter_name


@pytest.mark.parametrize("name", EXPRESSION_MODELS)
def test_layer_table_runs_on_one_input_and_counts_every_parameter(name):
    model = make(name)
    width = GENES + PROTEINS if name == "integration" else GENES
    rows = layer_table(model, counts(1, width))
    shown = sum(r.parameters for r in rows)
    own = sum(p.numel() for p in model.parameters(recurse=False))  # e.g. per-gene dispersion
    assert shown + own == count_parameters(model)


def test_negative_binomial_matches_scipy_and_a_hand_computed_case():
    x = torch.tensor([0.0, 2.0, 7.0, 40.0])
    mean = torch.tensor([1.0, 1.0, 3.5, 12.0])
    theta = torch.tensor([1.0, 1.0, 0.5, 20.0])
    expected = stats.nbinom.logpmf(x.numpy(), theta.numpy(), (theta / (theta + mean)).numpy())
    ours = negative_binomial_log_likelihood(x, mean, theta)
    assert np.allclose(ours.numpy(), expected, atol=1e-4)
    # θ = 1, μ = 1: P(0) = 1/2 and P(2) = C(2, 2)·(1/2)·(1/2)² = 1/8
    assert ours[0].item() == pytest.approx(math.log(0.5), abs=1e-5)
    assert ours[1].item() == pytest.approx(math.log(0.125), abs=1e-5)


def test_negative_binomial_is_finite_at_the_extremes():
    x = torch.tensor([0.0, 0.0, 5.0, 1000.0])
    mean = torch.tensor([1e-12, 5.0, 1e-12, 1000.0])
    theta = torch.tensor([1e-6, 1e6, 1.0, 1e-3])
    values = negative_binomial_log_likelihood(x, mean, theta)
    assert torch.isfinite(values).all()
    assert values[0].item() == pytest.approx(0.0, abs=1e-4)  # nothing expected, nothing seen
    # a huge θ is a Poisson
    assert values[1].item() == pytest.approx(stats.poisson.logpmf(0, 5.0), abs=1e-3)


def test_gaussian_likelihood_kl_and_autoencoder_mse():
    x, mean, log_variance = torch.tensor([0.5, -1.0]), torch.tensor([0.0, 1.0]), torch.zeros(2)
    expected = stats.norm.logpdf([0.5, -1.0], loc=[0.0, 1.0], scale=1.0)
    assert np.allclose(gaussian_log_likelihood(x, mean, log_variance).numpy(), expected)
    assert gaussian_kl(torch.zeros(1, 3), torch.ones(1, 3)).item() == pytest.approx(0.0)
    # KL(N(1, 1) ‖ N(0, 1)) = 1/2 per dimension
    assert gaussian_kl(torch.ones(1, 2), torch.ones(1, 2)).item() == pytest.approx(1.0)
    model = make("autoencoder").eval()
    data = torch.randn(4, GENES)
    by_hand = ((model(data) - data) ** 2).mean(dim=1)
    assert torch.allclose(model.loss(data).total, by_hand)


def test_gaussian_vae_uses_the_gaussian_likelihood():
    model = make("vae", likelihood="gaussian").eval()
    x = torch.randn(4, GENES)
    terms = model.loss(x)
    z = model.encode(x)
    by_hand = -gaussian_log_likelihood(x, model.decode(z, None, None), model.gene_parameter)
    assert torch.allclose(terms.reconstruction, by_hand.sum(dim=1))
    assert torch.allclose(terms.total, terms.reconstruction + terms.kl)


def test_batch_covariate_feeds_encoder_and_decoder():
    model = make("vae", n_batches=3, latent_dim=4).eval()
    assert model.encoder[0].in_features == GENES + 3
    assert model.decoder[0].in_features == 4 + 3
    z = torch.randn(2, 4)
    library = torch.full((2, 1), 100.0)
    as_first = model.decode(z, torch.tensor([0, 0]), library)
    as_second = model.decode(z, torch.tensor([1, 1]), library)
    assert not torch.allclose(as_first, as_second)
    plain = make("vae", latent_dim=4)
    assert plain.decoder[0].in_features == 4


def test_course_preset_builds_the_eight_layer_autoencoder():
    model = make("autoencoder", preset="course 8-layer", latent_dim=10, hidden="7")
    linear = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert len(linear) == 8
    widths = [linear[0].in_features] + [layer.out_features for layer in linear]
    assert widths == [GENES, 512, 256, 128, 10, 128, 256, 512, GENES]


def test_hidden_widths_are_parsed_and_checked():
    assert parse_widths(" 256, 64 ") == (256, 64)
    assert parse_widths("") == ()
    for bad in ("64,x", "0", "-3", "1.5"):
        with pytest.raises(ConfigError, match="positive whole numbers"):
            parse_widths(bad)
    with pytest.raises(ConfigError, match="positive whole numbers"):
        build_model("autoencoder", n_outputs=GENES, hidden="big")
    with pytest.raises(ConfigError, match="unknown likelihood 'poisson'"):
        build_model("vae", n_outputs=GENES, likelihood="poisson")
    linear = make("autoencoder", hidden="", latent_dim=2)
    assert [m.out_features for m in linear.modules() if isinstance(m, torch.nn.Linear)] == [
        2,
        GENES,
    ]


def test_vae_sampling_follows_its_own_generator():
    model = make("vae", dropout=0.0).train()
    x = counts(4)
    model.generator = torch.Generator().manual_seed(5)
    first = model.loss(x).total
    model.generator = torch.Generator().manual_seed(5)
    again = model.loss(x).total
    model.generator = torch.Generator().manual_seed(6)
    other = model.loss(x).total
    assert torch.equal(first, again) and not torch.equal(first, other)

"""Expression models: a dense autoencoder, a VAE with a count likelihood, and a two-modality
autoencoder for paired measurements (RNA + protein).

Input convention: one row per cell, ``float32 (N, G)``. Every model has ``encode(...)``
(the latent coordinates, ``(N, latent_dim)``), ``forward(x)`` (the reconstruction, so that
layer tables work with one input tensor) and ``loss(...)`` returning :class:`ExpressionLoss`
with one value per cell. Settings that come from the data rather than from the user are
listed in :data:`DATA_SETTINGS`; a training function fills them in.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import torch
from torch import nn

from genodash.errors import ConfigError
from genodash.models.layers import SeededDropout
from genodash.settings import param

ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU, "elu": nn.ELU, "tanh": nn.Tanh}
COURSE_WIDTHS = (512, 256, 128)
DATA_SETTINGS = ("n_batches", "n_inputs_second")
NEGATIVE_BINOMIAL = "negative binomial"
GAUSSIAN = "gaussian"
_EPS = 1e-8


def parse_widths(text: str) -> tuple[int, ...]:
    """Hidden layer widths from text such as ``"256, 64"`` (empty: no hidden layer).

    Parameters
    ----------
    text
        Layer widths (numbers of units) separated by commas, widest first as written.

    Raises
    ------
    ConfigError
        Anything but positive whole numbers separated by commas.
    """
    parts = [part.strip() for part in str(text).split(",") if part.strip()]
    try:
        widths = tuple(int(part) for part in parts)
    except ValueError:
        widths = ()
        parts = ["bad"]
    if len(widths) != len(parts) or any(w < 1 for w in widths):
        raise ConfigError(
            f"hidden layer widths must be positive whole numbers separated by commas "
            f"(e.g. 256,64), got {text!r}"
        )
    return widths


def dense_stack(
    widths: tuple[int, ...], activation: str, dropout: float, *, batch_norm: bool = False
) -> nn.Sequential:
    """Linear → (BatchNorm) → activation → dropout for each step ``widths[i] → widths[i+1]``.

    Parameters
    ----------
    widths
        Units of each layer, input first: ``(G, 256, 64)`` gives two dense layers.
    activation
        ``"relu"``, ``"gelu"``, ``"elu"`` or ``"tanh"``.
    dropout
        Fraction (0–1) of units dropped at random during training.
    batch_norm
        Whether to normalise each layer's output over the batch (as scVI does).

    Raises
    ------
    ConfigError
        Unknown activation.
    """
    if activation not in ACTIVATIONS:
        raise ConfigError(
            f"unknown activation {activation!r}; choose one of {', '.join(ACTIVATIONS)}"
        )
    layers: list[nn.Module] = []
    for width_in, width_out in itertools.pairwise(widths):
        layers.append(nn.Linear(width_in, width_out))
        if batch_norm:
            layers.append(nn.BatchNorm1d(width_out, momentum=0.01, eps=1e-3))
        layers += [ACTIVATIONS[activation](), SeededDropout(dropout)]
    return nn.Sequential(*layers)


@dataclass(frozen=True)
class ExpressionLoss:
    """Per-cell loss terms ``(N,)``; ``total`` is what training minimises."""

    total: torch.Tensor
    reconstruction: torch.Tensor
    kl: torch.Tensor | None = None
    parts: dict[str, torch.Tensor] | None = None


def per_cell_mse(reconstruction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error over genes, one value per cell ``(N,)``.

    Parameters
    ----------
    reconstruction
        The model's output ``(N, G)``: ``N`` cells, ``G`` genes.
    target
        The input it should reproduce, same shape.
    """
    return (reconstruction.float() - target.float()).pow(2).mean(dim=1)


# --- autoencoder ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AutoencoderConfig:
    preset: str = param(
        "custom",
        "Architecture",
        help="custom: the widths below; course 8-layer: genes → 512 → 256 → 128 → latent → "
        "128 → 256 → 512 → genes (4 encoder + 4 decoder dense layers)",
        options=("custom", "course 8-layer"),
    )
    hidden: str = param(
        "256",
        "Hidden layer widths",
        help="Encoder widths, comma-separated (e.g. 256,64); the decoder mirrors them. "
        "Ignored by the course preset",
    )
    latent_dim: int = param(
        10,
        "Latent dimensions",
        2,
        128,
        "Size of the bottleneck. The course figure: 2 to draw the bottleneck directly, or "
        "e.g. 10 followed by t-SNE on the Embeddings page",
    )
    # measured (bench/embedding_models.py, course preset): with ReLU the 8-layer network sat
    # on a plateau on the simulated counts until early stopping ended it (kNN 0.33 against
    # PCA's 1.00); ELU left it (1.00), and dropout 0.2 was the best of 0-0.3 on PBMC 68k
    dropout: float = param(0.2, "Dropout", 0.0, 0.8)
    activation: str = param(
        "elu",
        "Activation",
        help="ELU (default) keeps a gradient for negative inputs, so the deep course network "
        "does not stall early; ReLU units can die",
        options=tuple(ACTIVATIONS),
    )

    def widths(self) -> tuple[int, ...]:
        return COURSE_WIDTHS if self.preset == "course 8-layer" else parse_widths(self.hidden)


@dataclass(frozen=True)
class DataFacts:
    """What an expression model's settings depend on in the data it trains on."""

    name: str
    n_batches: int
    has_counts: bool
    n_second: int


def complete_vae_config(config: dict, data: DataFacts) -> dict:
    """The VAE's settings completed from the data: its batch count (all of the data's
    batches, or none), and a refusal of the count likelihood on data without counts.

    Parameters
    ----------
    config
        Settings given so far (updated and returned).
    data
        Facts of the training data.
    """
    config.setdefault("n_batches", data.n_batches)
    if config["n_batches"] not in (0, data.n_batches):
        raise ConfigError(
            f"n_batches={config['n_batches']} but the data has "
            + (f"{data.n_batches} batches" if data.n_batches else "no batch column")
        )
    if config.get("likelihood", NEGATIVE_BINOMIAL) == NEGATIVE_BINOMIAL and not data.has_counts:
        raise ConfigError(
            f"the negative-binomial likelihood models raw counts, but {data.name} has none "
            "(its values are normalized or scaled); choose the gaussian likelihood"
        )
    return config


def complete_integration_config(config: dict, data: DataFacts) -> dict:
    """The two-modality model's settings completed from the data: the second modality's
    feature count; refused without a second modality.

    Parameters
    ----------
    config, data
        As for :func:`complete_vae_config`.
    """
    if data.n_second == 0:
        raise ConfigError(
            "the two-modality model needs a second modality (e.g. protein counts) of the same cells"
        )
    config.setdefault("n_inputs_second", data.n_second)
    return config


class ExpressionModel(nn.Module):
    """What every expression model says about itself, so that training and prediction ask
    the model instead of testing its class.

    ``inputs`` names the arrays ``loss`` takes, in order: ``values`` (processed), ``counts``
    (raw), ``batches`` (batch index per cell) or ``second`` (a second modality).
    """

    kl_warmup_epochs = 0

    @property
    def inputs(self) -> tuple[str, ...]:
        return ("values",)

    def seed_sampling(self, seed: int, device: str) -> None:
        """Make the model's own random draws (if it samples) reproducible from ``seed``.

        Parameters
        ----------
        seed
            The seed of the run.
        device
            Where training runs (the generator must live there).
        """

    def adapt_to_cells(self, *inputs: torch.Tensor) -> None:
        """Take settings from the training cells before training (most models take none;
        the gene-token Transformer picks its genes here).

        Parameters
        ----------
        inputs
            The training cells' arrays named by :attr:`inputs`, as tensors.
        """

    def latents(self, *inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        """Latent coordinates of a batch of cells: ``{"latent": (N, latent_dim)}``.

        Parameters
        ----------
        inputs
            The arrays named by :attr:`inputs`, as tensors.
        """
        return {"latent": self.encode(*inputs)}


class Autoencoder(ExpressionModel):
    """genes → hidden → latent (linear) → mirrored hidden → genes (linear); MSE loss.

    Trained on processed values (log-normalized or scaled), so the output is unbounded.
    """

    def __init__(self, config: AutoencoderConfig, n_genes: int) -> None:
        super().__init__()
        self.config = config
        if config.preset not in ("custom", "course 8-layer"):
            raise ConfigError(f"unknown preset {config.preset!r}; choose custom or course 8-layer")
        hidden = config.widths()
        act, drop = config.activation, config.dropout
        self.encoder = dense_stack((n_genes, *hidden), act, drop)
        self.to_latent = nn.Linear(hidden[-1] if hidden else n_genes, config.latent_dim)
        self.decoder = dense_stack((config.latent_dim, *hidden[::-1]), act, drop)
        self.to_genes = nn.Linear(hidden[0] if hidden else config.latent_dim, n_genes)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.to_latent(self.encoder(x))  # (N, latent_dim)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.to_genes(self.decoder(z))  # (N, genes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))

    def loss(self, x: torch.Tensor) -> ExpressionLoss:
        error = per_cell_mse(self(x), x)
        return ExpressionLoss(total=error, reconstruction=error)


# --- variational autoencoder -----------------------------------------------------------------


def negative_binomial_log_likelihood(
    x: torch.Tensor, mean: torch.Tensor, inverse_dispersion: torch.Tensor
) -> torch.Tensor:
    """Elementwise log NB(x; μ, θ), variance μ + μ²/θ (as in scVI), stable for tiny μ or θ.

    log Γ(x+θ) − log Γ(θ) − log Γ(x+1) + θ·log(θ/(θ+μ)) + x·log(μ/(θ+μ))

    Parameters
    ----------
    x
        Observed counts ``(N, G)``.
    mean
        Expected counts μ, same shape (positive).
    inverse_dispersion
        θ, broadcastable to ``x`` (e.g. one per gene ``(G,)``); large θ is close to Poisson.

    Returns
    -------
    float32, the shape of ``x``: the log-probability of each count.
    """
    x, mean, theta = x.float(), mean.float(), inverse_dispersion.float() + _EPS
    # log((θ+μ)/θ) through log1p: no cancellation when θ ≫ μ (the near-Poisson case)
    log_ratio = torch.log1p(mean / theta)
    return (
        torch.lgamma(x + theta)
        - torch.lgamma(theta)
        - torch.lgamma(x + 1)
        - theta * log_ratio
        + x * (torch.log(mean + _EPS) - torch.log(theta) - log_ratio)
    )


def gaussian_log_likelihood(
    x: torch.Tensor, mean: torch.Tensor, log_variance: torch.Tensor
) -> torch.Tensor:
    """Elementwise log N(x; mean, exp(log_variance)).

    Parameters
    ----------
    x
        Observed values ``(N, G)``.
    mean
        Expected values, broadcastable to ``x``.
    log_variance
        Natural log of the variance, broadcastable to ``x`` (e.g. one per gene).

    Returns
    -------
    float32, the shape of ``x``.
    """
    x, mean, log_variance = x.float(), mean.float(), log_variance.float()
    return -0.5 * (math.log(2 * math.pi) + log_variance + (x - mean).pow(2) / log_variance.exp())


def gaussian_kl(mean: torch.Tensor, variance: torch.Tensor) -> torch.Tensor:
    """KL(N(mean, variance) ‖ N(0, I)) per cell ``(N,)``.

    Parameters
    ----------
    mean
        Latent means ``(N, latent_dim)``.
    variance
        Latent variances, same shape (positive).
    """
    return 0.5 * (mean.pow(2) + variance - variance.log() - 1).sum(dim=1)


@dataclass(frozen=True)
class VAEConfig:
    likelihood: str = param(
        NEGATIVE_BINOMIAL,
        "Likelihood",
        help="negative binomial: raw counts (scVI-like, library size from each cell); "
        "gaussian: normalized or scaled values",
        options=(NEGATIVE_BINOMIAL, GAUSSIAN),
    )
    hidden: str = param(
        "128", "Hidden layer widths", help="Encoder widths, comma-separated; the decoder mirrors"
    )
    latent_dim: int = param(10, "Latent dimensions", 2, 128)
    dropout: float = param(0.1, "Dropout", 0.0, 0.8)
    activation: str = param("relu", "Activation", options=tuple(ACTIVATIONS))
    kl_warmup_epochs: int = param(
        10,
        "KL warm-up (epochs)",
        0,
        500,
        "Raise the weight of the KL term from 0 to 1 over this many epochs, so the latent "
        "space is used before it is pulled towards the prior",
    )
    n_batches: int = param(
        0, "Batches (covariate)", 0, 10_000, "Set from the data's batch column; 0 for none"
    )


class VAE(ExpressionModel):
    """Variational autoencoder with an optional one-hot batch covariate.

    Encoder: [log1p(counts) or values, batch one-hot] → hidden → mean and variance of z.
    Decoder: [z, batch one-hot] → hidden → for the negative binomial, softmax gene
    proportions × the cell's observed library size, with one learned inverse dispersion θ
    per gene; for the Gaussian, a mean with one learned variance per gene. Giving the
    decoder the batch lets it explain batch differences, so z need not encode them.
    Training samples z (reparameterisation); evaluation uses its mean.
    """

    def __init__(self, config: VAEConfig, n_genes: int) -> None:
        super().__init__()
        if config.likelihood not in (NEGATIVE_BINOMIAL, GAUSSIAN):
            raise ConfigError(
                f"unknown likelihood {config.likelihood!r}; "
                f"choose {NEGATIVE_BINOMIAL} or {GAUSSIAN}"
            )
        if config.n_batches < 0:
            raise ConfigError(f"n_batches must be 0 or more, got {config.n_batches}")
        self.config = config
        self.counts = config.likelihood == NEGATIVE_BINOMIAL
        hidden = parse_widths(config.hidden)
        last = hidden[-1] if hidden else n_genes + config.n_batches
        act, drop = config.activation, config.dropout
        self.encoder = dense_stack((n_genes + config.n_batches, *hidden), act, drop)
        self.to_mean = nn.Linear(last, config.latent_dim)
        self.to_log_variance = nn.Linear(last, config.latent_dim)
        decoder_widths = (config.latent_dim + config.n_batches, *hidden[::-1])
        self.decoder = dense_stack(decoder_widths, act, drop)
        self.to_genes = nn.Linear(decoder_widths[-1], n_genes)
        # θ (NB) or log variance (Gaussian), one per gene
        self.gene_parameter = nn.Parameter(torch.zeros(n_genes))
        self.generator: torch.Generator | None = None  # set per run for reproducible sampling

    @property
    def inputs(self) -> tuple[str, ...]:
        return ("counts" if self.counts else "values", "batches")

    @property
    def kl_warmup_epochs(self) -> int:
        return self.config.kl_warmup_epochs

    def seed_sampling(self, seed: int, device: str) -> None:
        self.generator = torch.Generator(device=device).manual_seed(seed)

    def _batch_one_hot(self, x: torch.Tensor, batch: torch.Tensor | None) -> torch.Tensor:
        n = self.config.n_batches
        if n == 0:
            return x.new_zeros(x.shape[0], 0)
        if batch is None:
            batch = torch.zeros(x.shape[0], dtype=torch.long, device=x.device)
        return nn.functional.one_hot(batch.long(), n).to(x.dtype)  # (N, n_batches)

    def posterior(
        self, x: torch.Tensor, batch: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and variance of q(z | x, batch), each ``(N, latent_dim)``."""
        seen = torch.log1p(x) if self.counts else x
        h = self.encoder(torch.cat([seen, self._batch_one_hot(x, batch)], dim=1))
        return self.to_mean(h), self.to_log_variance(h).exp() + 1e-4

    def encode(self, x: torch.Tensor, batch: torch.Tensor | None = None) -> torch.Tensor:
        """The posterior mean of z ``(N, latent_dim)``."""
        return self.posterior(x, batch)[0]

    def decode(
        self, z: torch.Tensor, batch: torch.Tensor | None, library: torch.Tensor
    ) -> torch.Tensor:
        """Expected expression ``(N, genes)``: counts at ``library`` (NB) or values (Gaussian)."""
        out = self.to_genes(self.decoder(torch.cat([z, self._batch_one_hot(z, batch)], dim=1)))
        if self.counts:
            return torch.softmax(out.float(), dim=1) * library  # proportions × library size
        return out

    def forward(self, x: torch.Tensor, batch: torch.Tensor | None = None) -> torch.Tensor:
        return self.decode(self.encode(x, batch), batch, x.sum(dim=1, keepdim=True))

    def loss(self, x: torch.Tensor, batch: torch.Tensor | None = None) -> ExpressionLoss:
        """Negative ELBO per cell at KL weight 1: ``total = reconstruction + kl``."""
        mean, variance = self.posterior(x, batch)
        z = mean
        if self.training:
            noise = torch.randn(
                mean.shape, generator=self.generator, device=mean.device, dtype=mean.dtype
            )
            z = mean + variance.sqrt() * noise
        expected = self.decode(z, batch, x.sum(dim=1, keepdim=True))
        if self.counts:
            log_likelihood = negative_binomial_log_likelihood(
                x, expected, self.gene_parameter.exp()
            )
        else:
            log_likelihood = gaussian_log_likelihood(x, expected, self.gene_parameter)
        reconstruction = -log_likelihood.sum(dim=1)
        kl = gaussian_kl(mean.float(), variance.float())
        return ExpressionLoss(total=reconstruction + kl, reconstruction=reconstruction, kl=kl)


# --- two-modality integration --------------------------------------------------------------


_SINGLE_WEIGHT_HELP = (
    "Also rebuild both measurements from each one's latent alone. It pulls the two "
    "single-modality embeddings into the shared space, but lets the network memorise "
    "training cells (e.g. guess a cell's proteins from noise in its RNA): compare test cells"
)


@dataclass(frozen=True)
class IntegrationConfig:
    hidden: str = param("128", "Hidden layer widths (each modality)", help="Comma-separated")
    latent_dim: int = param(10, "Latent dimensions", 2, 128)
    dropout: float = param(0.1, "Dropout", 0.0, 0.8)
    activation: str = param("relu", "Activation", options=tuple(ACTIVATIONS))
    second_weight: float = param(
        1.0, "Weight of the second modality", 0.0, 10.0, "Its share of the reconstruction loss"
    )
    single_weight: float = param(
        0.0, "Train each modality's own latent", 0.0, 2.0, _SINGLE_WEIGHT_HELP
    )
    n_inputs_second: int = param(
        1, "Second-modality features", 1, 100_000, "Set from the data (e.g. proteins)"
    )


class Integration(ExpressionModel):
    """Two encoders (one per modality) into one latent space; the joint latent is the mean
    of the two; two decoders reconstruct both modalities from it (MSE per feature, each
    modality weighted equally regardless of its feature count).

    ``forward(x)`` takes both modalities side by side, ``(N, n_first + n_second)``.
    """

    def __init__(self, config: IntegrationConfig, n_first: int) -> None:
        super().__init__()
        if config.n_inputs_second < 1:
            raise ConfigError(f"n_inputs_second must be at least 1, got {config.n_inputs_second}")
        self.config, self.n_first = config, n_first
        self.encoders = nn.ModuleList(
            self._encoder(n, config) for n in (n_first, config.n_inputs_second)
        )
        self.decoders = nn.ModuleList(
            self._decoder(n, config) for n in (n_first, config.n_inputs_second)
        )

    @staticmethod
    def _encoder(n_inputs: int, config: IntegrationConfig) -> nn.Sequential:
        hidden = parse_widths(config.hidden)
        stack = dense_stack((n_inputs, *hidden), config.activation, config.dropout)
        return nn.Sequential(
            *stack, nn.Linear(hidden[-1] if hidden else n_inputs, config.latent_dim)
        )

    @staticmethod
    def _decoder(n_outputs: int, config: IntegrationConfig) -> nn.Sequential:
        widths = (config.latent_dim, *parse_widths(config.hidden)[::-1])
        stack = dense_stack(widths, config.activation, config.dropout)
        return nn.Sequential(*stack, nn.Linear(widths[-1], n_outputs))

    def encode_first(self, first: torch.Tensor) -> torch.Tensor:
        return self.encoders[0](first)  # (N, latent_dim)

    def encode_second(self, second: torch.Tensor) -> torch.Tensor:
        return self.encoders[1](second)  # (N, latent_dim)

    def encode_joint(self, first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
        return (self.encode_first(first) + self.encode_second(second)) / 2

    encode = encode_joint

    @property
    def inputs(self) -> tuple[str, ...]:
        return ("values", "second")

    def latents(self, *inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        """The first modality's latent alone (one input), or the joint latent with each
        modality's own (``latent_first``, ``latent_second``) when both are given."""
        if len(inputs) == 1:
            return {"latent": self.encode_first(inputs[0])}
        first, second = self.encode_first(inputs[0]), self.encode_second(inputs[1])
        return {"latent": (first + second) / 2, "latent_first": first, "latent_second": second}

    def decode(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.decoders[0](z), self.decoders[1](z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        first, second = x[:, : self.n_first], x[:, self.n_first :]
        return torch.cat(self.decode(self.encode_joint(first, second)), dim=1)

    def _error(self, z: torch.Tensor, first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
        out_first, out_second = self.decode(z)
        return per_cell_mse(out_first, first) + self.config.second_weight * per_cell_mse(
            out_second, second
        )

    def loss(self, first: torch.Tensor, second: torch.Tensor) -> ExpressionLoss:
        z_first, z_second = self.encode_first(first), self.encode_second(second)
        joint = self._error((z_first + z_second) / 2, first, second)
        alone_first = self._error(z_first, first, second)
        alone_second = self._error(z_second, first, second)
        total = joint + self.config.single_weight * (alone_first + alone_second) / 2
        return ExpressionLoss(
            total=total,
            reconstruction=joint,
            parts={"from_first": alone_first, "from_second": alone_second},
        )

"""scvis (Ding, Condon & Shah 2018): a variational autoencoder whose 2-D latent space is
also trained to keep each cell's neighbours, as t-SNE does, so the latent is the picture.

Per minibatch of ``B`` cells the model adds a t-SNE term to the negative ELBO:

- P: affinities between the cells' inputs, a Gaussian around each cell whose width is
  found by bisection so that the cell has ``perplexity`` effective neighbours, then
  symmetrised, ``P_ij = (p_j|i + p_i|j) / 2B``;
- Q: affinities between the latent means, a Student t with ``ν = latent_dim − 1`` degrees
  of freedom (at least 1; for a 2-D latent the Cauchy kernel of t-SNE), as in scvis and
  parametric t-SNE (van der Maaten 2009);
- the term is ``tsne_weight · G · KL(P ‖ Q)`` with ``G`` the number of genes: the
  reconstruction is a sum over ``G`` genes, so KL(P ‖ Q) is scaled by the input dimension
  to stay in balance with it (our reading of the paper's weighting; ``tsne_weight`` sets
  the balance).

The reconstruction is a Gaussian likelihood of the processed values with one learned
variance per gene (scvis itself uses a Student t on principal components). Because the
encoder is a function of a cell's expression, new cells are placed by encoding them: train
on part of the cells, map the rest into the same picture.

The t-SNE term needs enough cells per minibatch for P to mean something (with 64 cells
and perplexity 10 each cell's "neighbours" are a sixth of the batch); scvis trains on 512.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from genodash.errors import ConfigError
from genodash.models.expression import (
    ACTIVATIONS,
    ExpressionLoss,
    ExpressionModel,
    dense_stack,
    gaussian_kl,
    gaussian_log_likelihood,
    parse_widths,
)
from genodash.settings import param

BATCH_SIZE = 512  # cells per training step that give P enough neighbours (scvis's own)
_BISECTION_STEPS = 48
_MIN_CELLS = 4  # fewer cells in a batch (e.g. the last one of an epoch): no t-SNE term


@dataclass(frozen=True)
class ScvisConfig:
    hidden: str = param(
        "128,64,32",
        "Hidden layer widths",
        help="Encoder widths, comma-separated (scvis: 128, 64, 32); the decoder mirrors them",
    )
    latent_dim: int = param(
        2, "Latent dimensions", 2, 10, "2: the latent space is the picture, drawn directly"
    )
    perplexity: float = param(
        10.0,
        "Perplexity",
        2.0,
        100.0,
        "About how many neighbours each cell keeps in the t-SNE term (scvis: 10); capped at "
        "a third of the cells in a training batch",
    )
    tsne_weight: float = param(
        1.0,
        "Weight of the t-SNE term",
        0.0,
        100.0,
        "0: a plain VAE with a 2-D latent; higher: neighbours matter more than reconstruction",
    )
    dropout: float = param(0.0, "Dropout", 0.0, 0.8)
    activation: str = param("elu", "Activation", options=tuple(ACTIVATIONS))
    kl_warmup_epochs: int = param(
        5,
        "KL warm-up (epochs)",
        0,
        500,
        "Raise the weight of the KL term from 0 to 1 over this many epochs",
    )


def input_affinities(x: torch.Tensor, perplexity: float) -> torch.Tensor:
    """Symmetric t-SNE affinities P ``(B, B)`` of a batch of cells (zero diagonal, sum 1).

    Each cell's Gaussian width is found by bisection on its precision so that the entropy
    of its conditional distribution is ``log(perplexity)``.

    Parameters
    ----------
    x
        The cells' inputs ``(B, G)``, ``B ≥ 2``.
    perplexity
        Effective number of neighbours of each cell; capped at ``B − 1``.
    """
    n = x.shape[0]
    target = math.log(min(perplexity, n - 1))
    distances = torch.cdist(x.float(), x.float()).pow(2)  # (B, B)
    off_diagonal = ~torch.eye(n, dtype=torch.bool, device=x.device)
    distances = distances / distances[off_diagonal].mean().clamp_min(1e-12)
    low = torch.full((n, 1), -20.0, device=x.device)  # log precision
    high = torch.full((n, 1), 20.0, device=x.device)
    for _ in range(_BISECTION_STEPS):
        middle = (low + high) / 2
        log_p = _masked_log_softmax(-distances * middle.exp(), off_diagonal)
        entropy = -(log_p.exp() * log_p).where(off_diagonal, 0.0).sum(dim=1, keepdim=True)
        too_wide = entropy > target  # too many neighbours: raise the precision
        low, high = middle.where(too_wide, low), high.where(too_wide, middle)
    conditional = _masked_log_softmax(-distances * ((low + high) / 2).exp(), off_diagonal).exp()
    return (conditional + conditional.T) / (2 * n)


def latent_log_affinities(z: torch.Tensor, degrees_of_freedom: float) -> torch.Tensor:
    """log Q ``(B, B)``: Student-t affinities of latent points, normalised over all pairs
    (the diagonal is ``-inf``).

    Parameters
    ----------
    z
        Latent coordinates ``(B, K)``.
    degrees_of_freedom
        ν of the Student t; 1 is the Cauchy kernel of t-SNE.
    """
    n = z.shape[0]
    off_diagonal = ~torch.eye(n, dtype=torch.bool, device=z.device)
    nu = degrees_of_freedom
    log_kernel = -(nu + 1) / 2 * torch.log1p(torch.cdist(z, z).pow(2) / nu)  # (B, B)
    log_kernel = log_kernel.masked_fill(~off_diagonal, -math.inf)
    return log_kernel - torch.logsumexp(log_kernel.flatten(), dim=0)


def tsne_divergence(
    x: torch.Tensor, z: torch.Tensor, *, perplexity: float, degrees_of_freedom: float
) -> torch.Tensor:
    """KL(P ‖ Q) of one batch, split into one share per cell ``(B,)`` whose mean is the
    divergence (so it adds to per-cell losses); zeros for batches under 4 cells.

    Parameters
    ----------
    x
        The cells' inputs ``(B, G)``; P is computed from them without gradient.
    z
        Their latent coordinates ``(B, K)``.
    perplexity
        Effective number of neighbours in P (capped at a third of the batch).
    degrees_of_freedom
        ν of the Student t in Q.
    """
    n = x.shape[0]
    if n < _MIN_CELLS:
        return z.new_zeros(n)
    with torch.no_grad():
        p = input_affinities(x, min(perplexity, (n - 1) / 3))
    log_q = latent_log_affinities(z.float(), degrees_of_freedom)
    terms = (p * (torch.log(p.clamp_min(1e-12)) - log_q)).where(p > 0, 0.0)
    return terms.sum(dim=1) * n


def _masked_log_softmax(logits: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    return torch.log_softmax(logits.masked_fill(~keep, -math.inf), dim=1)


class Scvis(ExpressionModel):
    """A Gaussian VAE on processed values with a t-SNE term on its latent means.

    Encoder: values → hidden → mean and variance of z (2-D by default). Decoder: z →
    mirrored hidden → gene means, one learned variance per gene. Training samples z;
    the latent (and the picture) is its mean.
    """

    def __init__(self, config: ScvisConfig, n_genes: int) -> None:
        super().__init__()
        self.config = config
        hidden = parse_widths(config.hidden)
        if not hidden:
            raise ConfigError("scvis needs at least one hidden layer, e.g. 128,64,32")
        act, drop = config.activation, config.dropout
        self.encoder = dense_stack((n_genes, *hidden), act, drop)
        self.to_mean = nn.Linear(hidden[-1], config.latent_dim)
        self.to_log_variance = nn.Linear(hidden[-1], config.latent_dim)
        self.decoder = dense_stack((config.latent_dim, *hidden[::-1]), act, drop)
        self.to_genes = nn.Linear(hidden[0], n_genes)
        self.log_variance = nn.Parameter(torch.zeros(n_genes))  # one per gene
        self.generator: torch.Generator | None = None

    @property
    def degrees_of_freedom(self) -> float:
        return float(max(self.config.latent_dim - 1, 1))

    @property
    def kl_warmup_epochs(self) -> int:
        return self.config.kl_warmup_epochs

    def seed_sampling(self, seed: int, device: str) -> None:
        self.generator = torch.Generator(device=device).manual_seed(seed)

    def posterior(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and variance of q(z | x), each ``(N, latent_dim)``."""
        h = self.encoder(x)
        return self.to_mean(h), self.to_log_variance(h).exp() + 1e-4

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The posterior mean ``(N, latent_dim)``: a cell's place in the picture."""
        return self.posterior(x)[0]

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.to_genes(self.decoder(z))  # (N, genes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))

    def loss(self, x: torch.Tensor) -> ExpressionLoss:
        """Per cell: reconstruction + KL + the cell's share of the weighted t-SNE term."""
        mean, variance = self.posterior(x)
        z = mean
        if self.training:
            noise = torch.randn(
                mean.shape, generator=self.generator, device=mean.device, dtype=mean.dtype
            )
            z = mean + variance.sqrt() * noise
        reconstruction = -gaussian_log_likelihood(x, self.decode(z), self.log_variance).sum(dim=1)
        kl = gaussian_kl(mean.float(), variance.float())
        tsne = tsne_divergence(
            x, mean, perplexity=self.config.perplexity, degrees_of_freedom=self.degrees_of_freedom
        )
        weighted = self.config.tsne_weight * x.shape[1] * tsne
        return ExpressionLoss(
            total=reconstruction + kl + weighted,
            reconstruction=reconstruction,
            kl=kl,
            parts={"tsne": tsne},
        )

"""A gene-token Transformer: the idea of scGPT (Cui et al. 2024), tiny and trained on the
cells at hand.

Tokens: every cell is read as the same ``T`` genes (all genes when the matrix has no more
than ``T``), chosen once from the training cells as those whose token value varies most
from cell to cell. A fixed gene set keeps attention's cost (quadratic in ``T``) fixed and
makes a gene-by-gene attention map mean the same in every cell. (Reading each cell's own
highest genes instead, as Geneformer does, was tried: the masked values then say little —
a token's gene already tells that it is high — and the cell embedding learned next to
nothing.) The chosen genes are a buffer of the model, saved with its weights.

A token's value is, by default, the gene's value as the model reads it (scaled or
log-normalized; scGPT's "continuous" input), or, as in scGPT's default, a bin of it: a
cell's non-zero values cut into ``value_bins`` bins of equal size *within that cell*
(so sequencing depth does not matter; an exact zero is bin 0), read as a level from 0 to
1. Each token is the gene's embedding (which gene) plus its value times the gene's own
value direction, so the value enters gene by gene; a hidden value is replaced by a
learned ``mask`` vector. (A table of value-bin embeddings shared by all genes, added to
the gene embedding, was tried first: with per-cell bins every cell has the same
histogram of bins, so the mean of its tokens was nearly the same vector in every cell —
only the pairing of genes with bins differs — and training never left that point: kNN
accuracy 0.45 against PCA's 0.80 on PBMC 68k. Per-cell bins with a per-gene value
direction still learned little (about 0.5); the continuous value learns.)

Pretraining masks a share of the tokens' values (the gene stays visible) and predicts the
masked values, by squared error, from the cell embedding alone: each gene has a query
vector, and the prediction is its dot product with the cell embedding plus the gene's
offset, as in scGPT's GEPC objective. The cell must therefore carry what its hidden genes
express. (A BERT-like head that guesses each masked value from the token's own output
learned the task faster but left a worse cell embedding.) The cell embedding is the mean
of the visible gene tokens' outputs, or a CLS token's output (a setting), projected to
``latent_dim``: the model's latent space.

Shapes: ``x`` is ``float32 (N, G)``; tokens are ``(N, T)`` gene indices and values; the
encoder works on ``(N, T, width)`` (``T + 1`` with a CLS token).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from genodash.errors import ConfigError
from genodash.models.expression import ExpressionLoss, ExpressionModel
from genodash.models.sequence import EncoderLayer
from genodash.settings import param

CELL_EMBEDDINGS = ("mean", "CLS")
VALUE_INPUTS = ("value", "per-cell bins")
_EVAL_MASK_SEED = 0


@dataclass(frozen=True)
class GeneTransformerConfig:
    n_tokens: int = param(
        192,
        "Genes per cell (tokens)",
        4,
        1024,
        "Every cell is read as this many genes, those whose value varies most between the "
        "training cells (all genes if the matrix has fewer). Attention compares every pair "
        "of tokens: twice the tokens, about four times the work",
    )
    value_input: str = param(
        "value",
        "Token value",
        help="value: the gene's value as the model reads it (scaled or log-normalized); "
        "per-cell bins: as in scGPT, the cell's non-zero values cut into bins of equal size "
        "within the cell (learns much less here)",
        options=VALUE_INPUTS,
    )
    value_bins: int = param(
        10,
        "Value bins",
        2,
        100,
        "With per-cell bins: a cell's non-zero values are cut into this many bins of equal "
        "size within the cell; an exact zero is bin 0",
    )
    mask_share: float = param(
        0.3,
        "Masked share",
        0.15,
        0.4,
        "Share of each cell's tokens whose value is hidden and predicted in pretraining",
    )
    width: int = param(64, "Model width", 16, 512, "Size of each token's vector")
    layers: int = param(2, "Encoder layers", 1, 8)
    heads: int = param(4, "Attention heads", 1, 16, "Must divide the model width")
    dropout: float = param(0.0, "Dropout", 0.0, 0.8)
    cell_embedding: str = param(
        "mean",
        "Cell embedding",
        help="mean: the average of the gene tokens' outputs; CLS: the output of an extra "
        "token that attends to every gene (as in scGPT)",
        options=CELL_EMBEDDINGS,
    )
    latent_dim: int = param(32, "Latent dimensions", 2, 128, "Size of the cell embedding")


@dataclass(frozen=True)
class GeneTokens:
    """A batch of cells as tokens: ``genes`` ``int64 (N, T)`` and their ``values``
    ``float32 (N, T)`` (the values themselves, or bin levels from 0 to 1)."""

    genes: torch.Tensor
    values: torch.Tensor


def value_bins(values: torch.Tensor, n_bins: int) -> torch.Tensor:
    """Per-cell value bins of ``values`` ``(N, T)``: 0 for an exact zero, else 1 to ``n_bins``
    by the value's rank among the cell's non-zero values (equal values share a bin).

    Parameters
    ----------
    values
        Each cell's token values ``(N, T)``.
    n_bins
        Number of bins for non-zero values.

    Returns
    -------
    ``int64 (N, T)``.
    """
    nonzero = values != 0
    # the cell's non-zero values in ascending order, zeros moved past the end as +inf
    ordered = torch.where(nonzero, values, torch.inf).sort(dim=1).values
    below = torch.searchsorted(ordered, values.contiguous())  # non-zero values below each
    count = nonzero.sum(dim=1, keepdim=True).clamp(min=1)
    bins = (1 + below * n_bins // count).clamp(max=n_bins)
    return torch.where(nonzero, bins, torch.zeros_like(bins))


class GeneTransformer(ExpressionModel):
    """Gene embedding + value × the gene's value direction → Transformer encoder → cell
    embedding → latent; trained by predicting the masked tokens' values from the latent
    (see the module's docstring)."""

    records_attention = True

    def __init__(self, config: GeneTransformerConfig, n_genes: int) -> None:
        super().__init__()
        if config.width % config.heads:
            raise ConfigError(
                f"model width {config.width} is not divisible by {config.heads} heads"
            )
        if config.cell_embedding not in CELL_EMBEDDINGS:
            raise ConfigError(
                f"unknown cell embedding {config.cell_embedding!r}; choose mean or CLS"
            )
        if config.value_input not in VALUE_INPUTS:
            raise ConfigError(
                f"unknown token value {config.value_input!r}; choose value or per-cell bins"
            )
        self.config = config
        self.n_tokens = min(config.n_tokens, n_genes)
        self.n_masked = max(1, round(config.mask_share * self.n_tokens))
        width = config.width
        self.gene_embedding = nn.Embedding(n_genes, width)
        # small gene vectors: the values, not the gene list (the same in every cell), must
        # set the mean of a cell's tokens from the start, or training stalls
        nn.init.normal_(self.gene_embedding.weight, std=0.1)
        self.value_direction = nn.Embedding(n_genes, width)
        self.mask_embedding = nn.Parameter(torch.randn(width))
        self.cls = (
            nn.Parameter(torch.zeros(1, 1, width)) if config.cell_embedding == "CLS" else None
        )
        self.encoder = nn.ModuleList(
            EncoderLayer(width, config.heads, config.dropout) for _ in range(config.layers)
        )
        self.norm = nn.LayerNorm(width)
        self.to_latent = nn.Linear(width, config.latent_dim)
        # each gene's query: a vector to meet the cell embedding, and an offset (its own level)
        self.gene_query = nn.Linear(width, config.latent_dim + 1)
        self.generator: torch.Generator | None = None  # set per run: reproducible masks
        self.register_buffer("token_genes", torch.arange(self.n_tokens))  # see adapt_to_cells

    def seed_sampling(self, seed: int, device: str) -> None:
        self.generator = torch.Generator(device=device).manual_seed(seed)

    def adapt_to_cells(self, values: torch.Tensor) -> None:
        """Make the ``T`` genes whose token value varies most over ``values`` (the training
        cells, ``(N, G)``; bins over all genes of each cell) the tokens of every cell, in
        gene order; saved with the weights.

        Parameters
        ----------
        values
            The training cells as the model reads them.
        """
        levels = self._token_values(values.float())  # (N, G)
        variance = levels.var(dim=0) if len(levels) > 1 else levels[0] * 0
        chosen = torch.sort(variance, descending=True, stable=True).indices[: self.n_tokens]
        self.token_genes.copy_(chosen.sort().values)

    def _token_values(self, values: torch.Tensor) -> torch.Tensor:
        """What a token carries of each value ``(N, T)``: the value, or its bin level."""
        if self.config.value_input == "value":
            return values
        return value_bins(values, self.config.value_bins).float() / self.config.value_bins

    def tokenize(self, x: torch.Tensor) -> GeneTokens:
        """The token genes of each cell and their values, each ``(N, T)``."""
        genes = self.token_genes.expand(x.shape[0], -1)
        return GeneTokens(genes=genes, values=self._token_values(x[:, self.token_genes].float()))

    def mask_positions(self, n_cells: int, device: torch.device) -> torch.Tensor:
        """bool ``(N, T)``: exactly ``round(mask_share · T)`` (at least one) masked tokens
        per cell, drawn from the run's generator in training and from a fixed seed in
        evaluation (so validation loss compares across epochs)."""
        generator = self.generator
        if not self.training:
            generator = torch.Generator(device=device).manual_seed(_EVAL_MASK_SEED)
        scores = torch.rand(n_cells, self.n_tokens, generator=generator, device=device)
        picked = scores.argsort(dim=1)[:, : self.n_masked]
        return torch.zeros_like(scores, dtype=torch.bool).scatter_(1, picked, True)

    def _encode_tokens(
        self, tokens: GeneTokens, masked: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Outputs of the gene tokens ``(N, T, width)`` and the cell embedding ``(N, width)``,
        the values at ``masked`` (bool ``(N, T)``) hidden."""
        hidden = masked[..., None]
        values = tokens.values[..., None].masked_fill(hidden, 0)
        h = self.gene_embedding(tokens.genes) + values * self.value_direction(tokens.genes)
        h = h + hidden * self.mask_embedding  # (N, T, width)
        if self.cls is not None:
            h = torch.cat([self.cls.expand(h.shape[0], -1, -1), h], dim=1)  # (N, 1 + T, width)
        no_padding = torch.zeros(h.shape[:2], dtype=torch.bool, device=h.device)
        for layer in self.encoder:
            h = layer(h, no_padding)
        if self.cls is not None:
            h = self.norm(h)
            return h[:, 1:], h[:, 0]
        # pool first, normalize after: a LayerNorm of each token would keep little more than
        # the sign of its value (a token is mostly value × direction)
        visible = (~hidden).to(h.dtype)  # (N, T, 1)
        return self.norm(h), self.norm((h * visible).sum(dim=1) / visible.sum(dim=1))

    def _latent(self, tokens: GeneTokens, masked: torch.Tensor | None = None) -> torch.Tensor:
        """The latent ``(N, latent_dim)`` of ``tokens``, the values at ``masked`` hidden."""
        if masked is None:
            masked = torch.zeros_like(tokens.genes, dtype=torch.bool)
        return self.to_latent(self._encode_tokens(tokens, masked)[1])

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The latent coordinates ``(N, latent_dim)`` of cells ``(N, G)``, nothing masked."""
        return self._latent(self.tokenize(x))

    def predict_values(self, latent: torch.Tensor, genes: torch.Tensor) -> torch.Tensor:
        """Each token's value (or bin level) as read from the cell embedding: the dot
        product with the gene's query plus the gene's offset, ``(N, T)``."""
        query = self.gene_query(self.gene_embedding(genes))  # (N, T, latent_dim + 1)
        return (query[..., :-1] * latent[:, None, :]).sum(dim=2) + query[..., -1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The reconstruction: each token's value predicted from the cell embedding,
        ``(N, T)``, nothing masked."""
        tokens = self.tokenize(x)
        return self.predict_values(self._latent(tokens), tokens.genes)

    def loss(self, x: torch.Tensor) -> ExpressionLoss:
        """Squared error of the masked tokens' predicted values, mean per cell ``(N,)``."""
        tokens = self.tokenize(x)
        masked = self.mask_positions(x.shape[0], x.device)
        latent = self._latent(tokens, masked)  # (N, latent_dim)
        error = (self.predict_values(latent, tokens.genes).float() - tokens.values).pow(2)
        per_cell = (error * masked).sum(dim=1) / masked.sum(dim=1)
        return ExpressionLoss(total=per_cell, reconstruction=per_cell)

    def record_attention(self, enabled: bool) -> None:
        """Keep (or stop keeping) each layer's attention weights of the next forward pass.

        Parameters
        ----------
        enabled
            Whether to keep them.
        """
        for layer in self.encoder:
            layer.keep_attention = enabled
            layer.last_attention = None

    def attention(self) -> list[torch.Tensor]:
        """Attention weights of the last pass with recording on: per layer,
        ``(N, heads, T', T')`` with ``T' = T`` (``T + 1`` with a CLS token, first)."""
        return [layer.last_attention for layer in self.encoder if layer.last_attention is not None]


@dataclass(frozen=True)
class GeneAttention:
    """Mean attention between genes over the cells of one label (last layer, all heads).

    Attributes
    ----------
    label
        The cells' label.
    genes
        The ``top_n`` genes shown: those that receive the most attention in these cells.
    weights
        ``(top_n, top_n)``: row gene's attention to column gene, averaged over the cells
        and heads and renormalised over the genes shown (each row sums to 1).
    n_cells
        Cells of the label.
    """

    label: str
    genes: list[str]
    weights: np.ndarray
    n_cells: int


@torch.no_grad()
def label_attention(
    model: GeneTransformer,
    values: np.ndarray,
    labels: Sequence[str],
    label: str,
    *,
    genes: Sequence[str],
    top_n: int = 20,
) -> GeneAttention:
    """Mean attention between the token genes in the cells of one label (a cell type).

    Parameters
    ----------
    model
        A trained gene-token Transformer.
    values
        The cells as the model reads them, ``(N, G)`` in the model's gene order.
    labels
        One label per cell.
    label
        The label whose cells are averaged.
    genes
        The ``G`` gene names.
    top_n
        How many genes to show (at most the tokens per cell).

    Raises
    ------
    ConfigError
        No cell has ``label``, ``top_n`` below 1, or ``values`` does not match ``labels``
        and ``genes``.
    """
    if values.shape[0] != len(labels) or values.shape[1] != len(genes):
        raise ConfigError(
            f"values are {values.shape[0]} cells × {values.shape[1]} genes but there are "
            f"{len(labels)} labels and {len(genes)} gene names"
        )
    if top_n < 1:
        raise ConfigError(f"top_n must be at least 1, got {top_n}")
    chosen = np.flatnonzero(np.asarray(labels, dtype=object) == label)
    if not len(chosen):
        raise ConfigError(f"no cell has the label {label!r}")
    mean = _mean_attention(model, values[chosen])  # (T, T)
    shown = torch.sort(mean.sum(dim=0), descending=True, stable=True).indices[:top_n]
    weights = mean[shown][:, shown]
    weights = weights / weights.sum(dim=1, keepdim=True).clamp(min=1e-12)
    token_genes = model.token_genes.cpu()[shown]
    return GeneAttention(
        label=str(label),
        genes=[str(genes[i]) for i in token_genes],
        weights=weights.numpy(),
        n_cells=len(chosen),
    )


def _mean_attention(
    model: GeneTransformer, values: np.ndarray, batch_size: int = 256
) -> torch.Tensor:
    """The last layer's attention between the gene tokens, averaged over heads and cells:
    ``(T, T)`` (a CLS token, if any, left out)."""
    device = next(model.parameters()).device
    total = torch.zeros(model.n_tokens, model.n_tokens, dtype=torch.float64)
    model.eval()
    model.record_attention(True)
    try:
        for start in range(0, len(values), batch_size):
            x = torch.from_numpy(np.ascontiguousarray(values[start : start + batch_size]))
            model.encode(x.to(device))
            weights = model.attention()[-1].mean(dim=1).cpu()  # (n, T', T')
            total += weights[:, -model.n_tokens :, -model.n_tokens :].sum(dim=0).double()
    finally:
        model.record_attention(False)
    return (total / len(values)).float()

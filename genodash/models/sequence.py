"""Sequence classifiers: CNN, (conv-)LSTM, Transformer encoder and the k-mer baseline.

Every model takes one-hot DNA, ``float32 (N, 4, L)`` with channels A, C, G, T and padding
as trailing all-zero columns, and returns class logits ``(N, n_classes)``. ``features(x)``
gives the penultimate-layer representation ``(N, D)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from genodash.errors import ConfigError
from genodash.models.layers import (
    GLOBAL_POOLS,
    GlobalPool,
    KmerSpectrum,
    SameConv1d,
    SeededDropout,
    kmer_width,
    pool_mask,
    sinusoidal_positions,
    valid_mask,
)
from genodash.settings import param


class SequenceClassifier(nn.Module):
    """Common shape: ``features(x)`` then a small dense head. ``records_attention`` says
    whether the model can record attention maps (``record_attention``, ``attention``)."""

    records_attention = False

    def __init__(self, width: int, n_classes: int, dropout: float, dense: int = 0) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        if dense:
            layers += [nn.Linear(width, dense), nn.ReLU(), SeededDropout(dropout)]
            width = dense
        layers.append(nn.Linear(width, n_classes))
        self.head = nn.Sequential(*layers)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))

    def motif_filters(self) -> nn.Conv1d | None:
        """The first convolution over the one-hot DNA, whose filters read as motifs (the
        CNN's first layer, an LSTM's convolution front-end); ``None`` without one."""
        for module in self.modules():
            if isinstance(module, nn.Conv1d) and module.in_channels == 4:
                return module
        return None


# --- CNN ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CNNConfig:
    filters: int = param(
        64, "Filters per layer", 4, 512, "How many motif detectors each convolution learns"
    )
    kernel_width: int = param(
        12, "First-layer filter width (bp)", 3, 32, "Length of the motifs the first layer can see"
    )
    blocks: int = param(
        2, "Convolution blocks", 1, 4, "conv → ReLU → max-pool; deeper blocks combine motifs"
    )
    pool: int = param(4, "Max-pool size", 1, 8, "How much each block shortens the sequence")
    global_pool: str = param(
        "max",
        "Global pooling over the read",
        help="max: whether each filter's motif occurs anywhere (motif tasks); average: how "
        "often it occurs, i.e. the read's composition (reads that differ by GC or k-mer use); "
        "max+average: both",
        options=GLOBAL_POOLS,
    )
    dense: int = param(32, "Dense layer units", 0, 512, "0 for none")
    dropout: float = param(0.2, "Dropout", 0.0, 0.8)


class CNN(SequenceClassifier):
    """Convolution → ReLU → max-pool blocks, global max- and/or average-pool over valid
    positions, dense."""

    def __init__(self, config: CNNConfig, n_classes: int) -> None:
        global_pool = GlobalPool(config.global_pool)
        super().__init__(global_pool.width(config.filters), n_classes, config.dropout, config.dense)
        blocks = []
        for i in range(config.blocks):
            blocks.append(
                nn.ModuleDict(
                    {
                        "conv": SameConv1d(
                            4 if i == 0 else config.filters,
                            config.filters,
                            config.kernel_width if i == 0 else 5,
                        ),
                        "relu": nn.ReLU(),
                        "pool": nn.MaxPool1d(config.pool, ceil_mode=True)
                        if i < config.blocks - 1 and config.pool > 1
                        else nn.Identity(),
                        "drop": SeededDropout(config.dropout),
                    }
                )
            )
        self.blocks = nn.ModuleList(blocks)
        self.global_pool = global_pool

    def features(self, x: torch.Tensor) -> torch.Tensor:
        mask = valid_mask(x)
        for block in self.blocks:
            # zero the padding after ReLU, so pooling sees exactly what an unpadded read gives
            x = block["relu"](block["conv"](x)).masked_fill(~mask[:, None, :], 0.0)
            x = block["drop"](block["pool"](x))
            mask = pool_mask(mask, block["pool"])
        return self.global_pool(x, mask)  # (N, filters)


# --- LSTM ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LSTMConfig:
    hidden: int = param(64, "LSTM units per direction", 8, 512)
    layers: int = param(1, "LSTM layers", 1, 3)
    bidirectional: bool = param(True, "Bidirectional", help="Read the sequence both ways")
    conv_frontend: bool = param(
        True,
        "Convolution front-end (DanQ)",
        help="Motif detectors first, then the LSTM reads their order; much faster on long reads",
    )
    conv_filters: int = param(64, "Front-end filters", 4, 512)
    conv_width: int = param(12, "Front-end filter width (bp)", 3, 32)
    conv_pool: int = param(4, "Front-end max-pool size", 1, 8)
    dense: int = param(32, "Dense layer units", 0, 512, "0 for none")
    dropout: float = param(0.2, "Dropout", 0.0, 0.8)


class LSTM(SequenceClassifier):
    """An (optionally bidirectional) LSTM over bases, or over convolution features as in DanQ
    (Quang & Xie 2016); padding is packed away; the last valid states are pooled."""

    def __init__(self, config: LSTMConfig, n_classes: int) -> None:
        directions = 2 if config.bidirectional else 1
        super().__init__(config.hidden * directions, n_classes, config.dropout, config.dense)
        self.frontend = None
        width = 4
        if config.conv_frontend:
            pool = config.conv_pool
            self.frontend = nn.ModuleDict(
                {
                    "conv": SameConv1d(4, config.conv_filters, config.conv_width),
                    "relu": nn.ReLU(),
                    "pool": nn.MaxPool1d(pool, ceil_mode=True) if pool > 1 else nn.Identity(),
                    "drop": SeededDropout(config.dropout),
                }
            )
            width = config.conv_filters
        self.lstm = nn.LSTM(
            width,
            config.hidden,
            num_layers=config.layers,
            batch_first=True,
            bidirectional=config.bidirectional,
        )

    def features(self, x: torch.Tensor) -> torch.Tensor:
        mask = valid_mask(x)
        if self.frontend is not None:
            x = self.frontend["relu"](self.frontend["conv"](x)).masked_fill(~mask[:, None, :], 0.0)
            x = self.frontend["drop"](self.frontend["pool"](x))  # (N, filters, L / pool)
            mask = pool_mask(mask, self.frontend["pool"])
        if x.is_meta:  # a memory estimate (models.memory): shapes only, nothing to pack
            _, (hidden, _) = self.lstm(x.transpose(1, 2))
            directions = 2 if self.lstm.bidirectional else 1
            return hidden[-directions:].transpose(0, 1).reshape(x.shape[0], -1)
        lengths = mask.sum(dim=1).clamp(min=1).cpu()
        packed = nn.utils.rnn.pack_padded_sequence(
            x.transpose(1, 2), lengths, batch_first=True, enforce_sorted=False
        )
        _, (hidden, _) = self.lstm(packed)  # hidden: (layers * directions, N, H)
        directions = 2 if self.lstm.bidirectional else 1
        return hidden[-directions:].transpose(0, 1).reshape(x.shape[0], -1)


# --- Transformer --------------------------------------------------------------------------


@dataclass(frozen=True)
class TransformerConfig:
    tokens: str = param(
        "conv-stem",
        "Tokens",
        help="k-mer: each token is one k-mer "
        "(a lookup table of 4^k entries); conv-stem: a learned convolution",
        options=("conv-stem", "k-mer"),
    )
    k: int = param(4, "Bases per token (k / stem width)", 1, 6)
    stride: int = param(
        4, "Stride between tokens (bp)", 1, 8, "Larger strides give fewer tokens: faster attention"
    )
    width: int = param(64, "Model width", 16, 512, "Size of each token's vector")
    layers: int = param(2, "Encoder layers", 1, 8)
    heads: int = param(4, "Attention heads", 1, 16, "Must divide the model width")
    dropout: float = param(0.1, "Dropout", 0.0, 0.8)


class EncoderLayer(nn.Module):
    """Pre-norm Transformer encoder layer that can keep its attention weights."""

    def __init__(self, width: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.attention = nn.MultiheadAttention(width, heads, batch_first=True)
        self.feed_forward = nn.Sequential(
            nn.Linear(width, 2 * width), nn.GELU(), nn.Linear(2 * width, width)
        )
        self.drop = SeededDropout(dropout)
        self.keep_attention = False
        self.last_attention: torch.Tensor | None = None

    def forward(self, x: torch.Tensor, padding: torch.Tensor) -> torch.Tensor:
        h = self.norm1(x)
        attended, weights = self.attention(
            h,
            h,
            h,
            key_padding_mask=padding,
            need_weights=self.keep_attention,
            average_attn_weights=False,
        )
        if self.keep_attention:
            self.last_attention = weights.detach()  # (N, heads, T, T)
        x = x + self.drop(attended)
        return x + self.drop(self.feed_forward(self.norm2(x)))


class KmerEmbedding(nn.Module):
    """One learned vector per k-mer, looked up from one-hot input in a differentiable way.

    For a window of k one-hot columns, the outer product of the columns is the one-hot
    vector of the k-mer (4^k entries; zero if the window holds N or padding), and a linear
    map of it is exactly a table lookup — while gradients still reach the input, so
    saliency maps work for k-mer models too.
    """

    def __init__(self, k: int, stride: int, width: int) -> None:
        super().__init__()
        self.k, self.stride = k, stride
        self.table = nn.Linear(4**k, width, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        windows = x.unfold(2, self.k, self.stride)  # (N, 4, T, k)
        kmer = windows[..., 0].transpose(1, 2)  # (N, T, 4)
        for j in range(1, self.k):
            base = windows[..., j].transpose(1, 2)
            kmer = (kmer[..., :, None] * base[..., None, :]).flatten(2)  # (N, T, 4^(j+1))
        return self.table(kmer)  # (N, T, width)


class Transformer(SequenceClassifier):
    """Tokens (k-mers or a convolution stem) + sinusoidal positions → encoder → mean-pool."""

    records_attention = True

    def __init__(self, config: TransformerConfig, n_classes: int) -> None:
        super().__init__(config.width, n_classes, config.dropout)
        if config.width % config.heads:
            raise ConfigError(
                f"model width {config.width} is not divisible by {config.heads} heads"
            )
        self.k, self.stride = config.k, config.stride
        if config.tokens == "k-mer":
            self.embed: nn.Module = KmerEmbedding(config.k, config.stride, config.width)
        else:
            self.embed = nn.Conv1d(4, config.width, config.k, stride=config.stride)
        self.encoder = nn.ModuleList(
            EncoderLayer(config.width, config.heads, config.dropout) for _ in range(config.layers)
        )
        self.norm = nn.LayerNorm(config.width)
        self.tokens = config.tokens

    def tokenize(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Token vectors ``(N, T, width)`` and the padding mask ``(N, T)`` (True = padding)."""
        # pad so that the last bases get a (partly empty) token too; empty columns are
        # exactly what padding is, so a padded read gives the same tokens as an unpadded one
        steps = max(0, -(-(x.shape[-1] - self.k) // self.stride))
        x = nn.functional.pad(x, (0, self.k + steps * self.stride - x.shape[-1]))
        mask = valid_mask(x)
        embedded = self.embed(x)
        if self.tokens != "k-mer":
            embedded = embedded.transpose(1, 2)
        starts = torch.arange(embedded.shape[1], device=x.device) * self.stride
        token_valid = mask[:, starts].clone()  # a token is valid if its first base is
        token_valid[:, 0] = True  # an all-N read still needs one token to attend to
        return embedded, ~token_valid

    def features(self, x: torch.Tensor) -> torch.Tensor:
        tokens, padding = self.tokenize(x)
        h = tokens + sinusoidal_positions(tokens.shape[1], tokens.shape[2], x.device)
        for layer in self.encoder:
            h = layer(h, padding)
        h = self.norm(h)
        keep = (~padding).float()[..., None]
        return (h * keep).sum(dim=1) / keep.sum(dim=1).clamp(min=1.0)

    def record_attention(self, enabled: bool) -> None:
        for layer in self.encoder:
            layer.keep_attention = enabled
            layer.last_attention = None

    def attention(self) -> list[torch.Tensor]:
        """Attention weights of the last forward pass with recording on: per layer,
        ``(N, heads, T, T)``."""
        return [layer.last_attention for layer in self.encoder if layer.last_attention is not None]


# --- k-mer baseline -------------------------------------------------------------------------


@dataclass(frozen=True)
class KmerConfig:
    max_k: int = param(
        4, "Longest k-mer (bp)", 1, 6, "Counts every k-mer from 1 bp up to this length (4^k each)"
    )
    both_strands: bool = param(
        True,
        "Count both strands",
        help="Count each read together with its reverse complement, as reads come from either",
    )
    dropout: float = param(0.0, "Dropout on the counts", 0.0, 0.8)


class KmerLogistic(SequenceClassifier):
    """Multinomial logistic regression on k-mer frequencies: the classic baseline a deep
    model should beat. ``features`` are the frequencies (see
    :class:`~genodash.models.layers.KmerSpectrum`), the head one linear layer."""

    def __init__(self, config: KmerConfig, n_classes: int) -> None:
        super().__init__(kmer_width(config.max_k), n_classes, config.dropout)
        self.spectrum = nn.Sequential(
            KmerSpectrum(config.max_k, config.both_strands), SeededDropout(config.dropout)
        )

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.spectrum(x)

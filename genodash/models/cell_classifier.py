"""A small dense classifier of cells from their expression profile (torch only).

It is the model behind gene selection by importance (Huang et al. 2023): it is trained on
the cell labels and then asked which genes it relies on. It is not in the registry of
models a person trains and saves as a run: it lives only inside one gene-selection
analysis. Input: cells × genes ``float32 (N, G)``; output: one logit per class ``(N, C)``.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from genodash.models.expression import dense_stack


class CellClassifier(nn.Module):
    """Genes → dense hidden layers (ReLU, dropout) → one logit per class.

    The first layer is a plain ``nn.Linear`` (:attr:`input_layer`) and the rest
    (:attr:`rest`) takes its output, so that the effect of changing one gene can be
    computed from the first layer's output alone.
    """

    def __init__(
        self,
        n_genes: int,
        n_classes: int,
        *,
        hidden: tuple[int, ...] = (128,),
        dropout: float = 0.2,
        seed: int = 0,
    ) -> None:
        super().__init__()
        body = dense_stack((n_genes, *hidden), "relu", dropout)
        layers = [*body, nn.Linear(hidden[-1] if hidden else n_genes, n_classes)]
        self.input_layer: nn.Linear = layers[0]
        self.rest = nn.Sequential(*layers[1:])
        _initialise(self, seed)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.rest(self.input_layer(x))  # (N, G) -> (N, C)


def _initialise(model: nn.Module, seed: int) -> None:
    """torch's default initialisation of every linear layer, drawn from ``seed`` with a
    private generator, so that building a model neither disturbs nor depends on torch's
    global random state (other users may be training in the same process)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer in model.modules():
            if isinstance(layer, nn.Linear):
                nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5), generator=generator)
                bound = 1 / math.sqrt(layer.in_features)
                nn.init.uniform_(layer.bias, -bound, bound, generator=generator)

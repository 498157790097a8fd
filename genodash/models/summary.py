"""What a model is made of: parameter count and a layer table (name, output shape, parameters)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class LayerRow:
    name: str
    kind: str
    output_shape: str
    parameters: int


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def layer_table(model: nn.Module, *example: torch.Tensor) -> list[LayerRow]:
    """Run ``example`` (the model's inputs for a batch of one) through ``model`` and record
    every leaf layer's output."""
    rows: list[LayerRow] = []
    hooks = []

    def record(name: str):
        def hook(module: nn.Module, _inputs: object, output: object) -> None:
            tensor = output[0] if isinstance(output, tuple) else output
            shape = tuple(tensor.shape[1:]) if isinstance(tensor, torch.Tensor) else ()
            own = sum(p.numel() for p in module.parameters(recurse=False))
            rows.append(LayerRow(name, type(module).__name__, _shape(shape), own))

        return hook

    for name, module in model.named_modules():
        if name and (not list(module.children()) or isinstance(module, nn.MultiheadAttention)):
            hooks.append(module.register_forward_hook(record(name)))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(*example)
    finally:
        model.train(was_training)
        for hook in hooks:
            hook.remove()
    return rows


def _shape(shape: tuple[int, ...]) -> str:
    return " × ".join(str(s) for s in shape) if shape else "—"

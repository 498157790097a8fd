"""What a model is made of: parameter count and a layer table in words a biologist reads."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence

_KIND_TITLES = {
    "SameConv1d": "Convolution",
    "Conv1d": "Convolution",
    "MaxPool1d": "Max-pooling",
    "KmerSpectrum": "k-mer frequencies",
    "SeededDropout": "Dropout",
    "Dropout": "Dropout",
    "Linear": "Dense",
    "ReLU": "ReLU activation",
    "GELU": "GELU activation",
    "ELU": "ELU activation",
    "Softplus": "Softplus activation",
    "LSTM": "LSTM",
    "MultiheadAttention": "Self-attention",
    "LayerNorm": "Layer normalization",
    "BatchNorm1d": "Batch normalization",
    "Embedding": "Embedding",
}
# the model part a top-level module name stands for; indexed parts get a number
_PARTS = {
    "blocks": "convolution block",
    "frontend": "convolution front-end",
    "lstm": "recurrent layer",
    "head": "classifier head",
    "embed": "tokens",
    "norm": "encoder output",
    "encoder": "encoder",
    "encoders": "encoder",
    "decoder": "decoder",
    "decoders": "decoder",
    "to_latent": "latent space",
    "to_mean": "latent mean",
    "to_log_variance": "latent spread",
    "to_genes": "output",
    "global_pool": "whole sequence",
    "spectrum": "k-mer counts",
}
_INDEXED_PARTS = {
    "encoder": "encoder layer",
    "encoders": "encoder of modality",
    "decoders": "decoder of modality",
}
_SKIPPED = ("Identity",)


@dataclass(frozen=True)
class LayerRow:
    """One layer: its module path, what it is, which part of the model, output, weights."""

    name: str
    title: str
    part: str
    output_shape: str
    parameters: int


def count_parameters(model: nn.Module) -> int:
    """Number of weights (trainable or not) in ``model``.

    Parameters
    ----------
    model
        Any torch module, on the meta device or not.
    """
    return sum(p.numel() for p in model.parameters())


def layer_table(model: nn.Module, *example: torch.Tensor) -> list[LayerRow]:
    """Run ``example`` (the model's inputs for a batch of one) through ``model`` and record
    each leaf layer's output the first time it runs (layers that do nothing are left out).
    A model on the meta device (see :mod:`genodash.models.memory`) runs on meta inputs.

    Parameters
    ----------
    model
        A genodash model; it runs in evaluation mode and is put back in its former mode.
    *example
        The model's inputs for a batch of one, e.g. one-hot DNA ``(1, 4, L)``.

    Returns
    -------
    One row per layer, in the order they ran: module path, kind, part of the model, output
    shape without the batch axis, and its own parameter count.
    """
    if any(p.is_meta for p in model.parameters()):
        example = tuple(t.to("meta") for t in example)
    rows: dict[str, LayerRow] = {}
    hooks = []

    def record(name: str):
        def hook(module: nn.Module, _inputs: object, output: object) -> None:
            if name in rows:  # a layer reused on a mask, not a second layer
                return
            # all of it: self-attention's output projection is a child no hook sees
            own = sum(p.numel() for p in module.parameters())
            kind = type(module).__name__
            title = getattr(module, "title", None) or _KIND_TITLES.get(kind, kind)
            rows[name] = LayerRow(name, title, _part(name), _output_shape(output), own)

        return hook

    for name, module in model.named_modules():
        leaf = not list(module.children()) or isinstance(module, nn.MultiheadAttention)
        if name and leaf and type(module).__name__ not in _SKIPPED:
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
    return list(rows.values())


def _part(name: str) -> str:
    """``blocks.0.conv`` → ``convolution block 1``; ``head.3`` → ``classifier head``."""
    parts = name.split(".")
    top = parts[0]
    if len(parts) > 2 and parts[1].isdigit():
        indexed = _INDEXED_PARTS.get(top, _PARTS.get(top, top.replace("_", " ")))
        return f"{indexed} {int(parts[1]) + 1}"
    return _PARTS.get(top, top.replace("_", " "))


def _output_shape(output: object) -> str:
    tensor = (
        output[0]
        if isinstance(output, tuple) and not isinstance(output, PackedSequence)
        else output
    )
    if isinstance(tensor, PackedSequence):
        return f"positions × {tensor.data.shape[-1]}"
    if not isinstance(tensor, torch.Tensor) or tensor.dim() < 2:
        return "—"
    return " × ".join(str(s) for s in tensor.shape[1:])


def layers_frame(model: nn.Module, *example: torch.Tensor) -> pd.DataFrame:
    """:func:`layer_table` as a table a biologist reads: ``Layer``, ``Part of the model``,
    ``Output shape`` and ``Parameters``, one row per layer.

    Parameters
    ----------
    model
        The model (on the meta device or not).
    example
        The model's inputs for a batch of one.
    """
    rows = layer_table(model, *example)
    return pd.DataFrame(
        {
            "Layer": [row.title for row in rows],
            "Part of the model": [row.part for row in rows],
            "Output shape": [row.output_shape for row in rows],
            "Parameters": [row.parameters for row in rows],
        }
    )

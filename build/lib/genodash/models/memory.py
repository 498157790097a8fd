"""How much memory training a model takes, estimated without building it.

The model is built on torch's *meta* device (shapes only, no storage) and one batch is
run through it; the outputs of its layers are the activations kept for the backward pass.
The estimate of one training step, in float32:

- weights, their gradients and Adam's two moment estimates: 4 × parameters;
- activations: the layers' outputs (kept for the backward pass) and as much again for the
  gradients flowing back through them: 2 × their sizes;
- the batch itself.

It errs on the high side (in-place layers, released buffers): a setting it accepts fits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from genodash.errors import ConfigError

_FLOAT = 4  # bytes per float32 value


@dataclass(frozen=True)
class MemoryEstimate:
    """Memory of one training step, in bytes: what does not grow with the batch, and what
    each example of the batch adds."""

    parameters: int
    fixed_bytes: int
    per_example_bytes: int
    batch_size: int

    @property
    def total_bytes(self) -> int:
        return self.fixed_bytes + self.per_example_bytes * self.batch_size

    def largest_batch(self, budget: int) -> int:
        """The largest batch whose step fits in ``budget`` bytes (0: none fits)."""
        room = budget - self.fixed_bytes
        return max(0, room // max(1, self.per_example_bytes))


def meta_model(name: str, *, n_outputs: int, **config: Any) -> nn.Module:
    """Model ``name`` on the meta device: its shapes and parameter count, no memory.

    Parameters
    ----------
    name
        A model of the registry (see :func:`genodash.models.build_model`).
    n_outputs
        Classes, or genes for an expression model.
    **config
        The model's settings over its defaults.

    Raises
    ------
    ConfigError
        Unknown model or invalid settings.
    """
    from genodash.models import build_model

    with torch.device("meta"):
        return build_model(name, n_outputs=n_outputs, **config)


def estimate_training_memory(
    name: str,
    example: tuple[torch.Tensor, ...],
    *,
    n_outputs: int,
    batch_size: int,
    config: dict[str, Any] | None = None,
) -> MemoryEstimate:
    """Estimate one training step of model ``name`` with ``config`` on batches like ``example``.

    Parameters
    ----------
    name
        A model of the registry.
    example
        The model's inputs for ONE example (a batch of one), e.g. from ``example_batch``.
    n_outputs
        Classes, or genes for an expression model.
    batch_size
        Examples per training step.
    config
        The model's settings.

    Returns
    -------
    MemoryEstimate
        Bytes that do not grow with the batch (weights, gradients, Adam's moments) and
        bytes each example adds (its input and activations).

    Raises
    ------
    ConfigError
        Unknown model or invalid settings.
    """
    model = meta_model(name, n_outputs=n_outputs, **(config or {}))
    parameters = sum(p.numel() for p in model.parameters())
    activations = _activation_values(model, tuple(t.to("meta") for t in example))
    inputs = sum(t.numel() for t in example)
    return MemoryEstimate(
        parameters=parameters,
        fixed_bytes=4 * parameters * _FLOAT,
        per_example_bytes=(2 * activations + inputs) * _FLOAT,
        batch_size=batch_size,
    )


def _activation_values(model: nn.Module, example: tuple[torch.Tensor, ...]) -> int:
    """Values in every layer's output for one example (one forward pass on meta tensors)."""
    total = 0

    def count(module: nn.Module, inputs: tuple, output: object) -> None:
        nonlocal total
        outputs = output if isinstance(output, tuple | list) else (output,)
        tensors = [t for t in outputs if isinstance(t, torch.Tensor)]
        total += sum(t.numel() for t in tensors)
        total += _hidden_values(module, inputs, tensors)

    watched = [
        m for m in model.modules() if not list(m.children()) or isinstance(m, nn.MultiheadAttention)
    ]
    hooks = [module.register_forward_hook(count) for module in watched]
    try:
        with torch.no_grad():
            model(*example)
    finally:
        for hook in hooks:
            hook.remove()
    return total


def _hidden_values(module: nn.Module, inputs: tuple, outputs: list[torch.Tensor]) -> int:
    """What a layer keeps for the backward pass beyond its output: an LSTM's gates and cell
    states at every step, attention's weights between every pair of tokens."""
    if isinstance(module, nn.LSTM) and outputs:
        return 5 * module.num_layers * outputs[0].numel()
    if isinstance(module, nn.MultiheadAttention) and inputs:
        batch, tokens = inputs[0].shape[0], inputs[0].shape[1]  # batch-first
        # measured: about half a weight per token pair and head stays (fused attention)
        return batch * module.num_heads * tokens * tokens // 2
    return 0


def check_training_memory(estimate: MemoryEstimate, budget: int, *, model: str) -> None:
    """Refuse a training step that would need more than ``budget`` bytes, saying what fits.

    Parameters
    ----------
    estimate
        The step's memory, from :func:`estimate_training_memory`.
    budget
        Bytes one training job may use.
    model
        The model's name or title, for the message.

    Raises
    ------
    ConfigError
        The step needs more than the budget; the message gives the largest batch that
        fits, or says that the model itself is too large.
    """
    if estimate.total_bytes <= budget:
        return
    need, limit = _gib(estimate.total_bytes), _gib(budget)
    fits = estimate.largest_batch(budget)
    if fits >= 1:
        advice = f"a batch size of at most {fits:,} fits, or choose a smaller model"
    else:
        advice = (
            f"the model alone ({estimate.parameters:,} parameters) does not fit: choose fewer "
            "filters, units or layers"
        )
    raise ConfigError(
        f"training {model} with batch size {estimate.batch_size:,} would need about {need} of "
        f"memory, more than the {limit} one training job may use on this server; {advice}"
    )


def _gib(n: int) -> str:
    return f"{n / 1024**3:.1f} GiB" if n >= 1024**3 else f"{n / 1024**2:.0f} MiB"

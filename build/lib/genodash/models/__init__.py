"""Torch modules and the one registry (``MODELS`` and :func:`build_model`).

Models import only torch, ``genodash.settings`` (for their fields) and ``genodash.errors``.
Input conventions: sequence models take one-hot DNA ``float32 (N, 4, L)`` (channels A, C,
G, T; padding = trailing all-zero columns); expression models take cells × genes ``float32``.
"""

from __future__ import annotations

import threading
from typing import Any

import torch
from torch import nn

from genodash.errors import ConfigError
from genodash.models.registry import MODELS, ModelSpec, model_spec, models_of
from genodash.models.summary import count_parameters, layer_table

_SEED_LOCK = threading.Lock()


def build_model(name: str, *, n_outputs: int, seed: int = 0, **config: Any) -> nn.Module:
    """Build model ``name`` with ``config`` over its defaults; weights drawn from ``seed``.

    The seed is applied to a private copy of torch's random state, so building a model
    never disturbs (or depends on) other runs in the same process.

    Parameters
    ----------
    name
        A model of :data:`MODELS`: ``"cnn"``, ``"lstm"``, ``"transformer"`` (sequences) or
        ``"autoencoder"``, ``"vae"``, ``"integration"`` (expression).
    n_outputs
        Number of classes for a sequence model, number of genes for an expression model.
    seed
        Seed of the initial weights; the same seed gives the same model.
    **config
        The model's settings (e.g. ``filters=64``); the rest keep their defaults.

    Raises
    ------
    ConfigError
        Unknown model name or setting (the message lists the valid ones), or inconsistent
        settings.
    """
    if name not in MODELS:
        raise ConfigError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}")
    settings = MODELS[name].config(**config)
    with _SEED_LOCK, torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return MODELS[name].module_class(settings, n_outputs)


__all__ = [
    "MODELS",
    "ModelSpec",
    "build_model",
    "count_parameters",
    "layer_table",
    "model_spec",
    "models_of",
]

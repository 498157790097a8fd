"""The one model registry: every architecture genodash can train, with its description."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

from torch import nn

from genodash.models import sequence

ModelKind = Literal["sequence", "expression"]


@dataclass(frozen=True)
class ModelSpec:
    """An architecture: how to build it and how to explain it to a biologist."""

    name: str
    title: str
    kind: ModelKind
    description: str
    config_class: type
    module_class: type[nn.Module]

    def config(self, **values: Any) -> Any:
        """The config dataclass with ``values`` over the defaults; unknown keys raise."""
        known = {f.name for f in dataclasses.fields(self.config_class)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise KeyError(
                f"model {self.name!r} has no setting {', '.join(unknown)}; "
                f"it has {', '.join(sorted(known))}"
            )
        return self.config_class(**values)

    def fields(self) -> list[dataclasses.Field]:
        return list(dataclasses.fields(self.config_class))


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            "cnn",
            "CNN (convolutional network)",
            "sequence",
            "Slides short learned filters along the DNA: each first-layer filter is a motif "
            "detector, like a position weight matrix the network learns by itself (DeepBind, "
            "Basset). Max-pooling keeps the strongest hit wherever it occurs, so the model "
            "finds a motif at any position. Fast, and easy to interpret: its filters can be "
            "drawn as sequence logos.",
            sequence.CNNConfig,
            sequence.CNN,
        ),
        ModelSpec(
            "lstm",
            "LSTM (recurrent network)",
            "sequence",
            "Reads the sequence one step at a time, carrying a memory along, so it can learn "
            "order and spacing between elements; bidirectional reads it both ways. With the "
            "convolution front-end (as in DanQ) it first detects motifs, then learns their "
            "grammar — faster and usually better than reading raw bases.",
            sequence.LSTMConfig,
            sequence.LSTM,
        ),
        ModelSpec(
            "transformer",
            "Transformer (attention)",
            "sequence",
            "Cuts the sequence into tokens (k-mers, or patches from a learned convolution), "
            "adds their positions and lets every token attend to every other, so distant "
            "elements can interact directly — the architecture behind DNA language models. "
            "Its attention maps show which tokens it related to which.",
            sequence.TransformerConfig,
            sequence.Transformer,
        ),
    )
}

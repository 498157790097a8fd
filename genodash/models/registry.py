"""The one model registry: every architecture genodash can train, with its description."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from torch import nn

from genodash.errors import ConfigError
from genodash.models import expression, gene_transformer, sequence
from genodash.models.scvis import Scvis, ScvisConfig
from genodash.settings import checked_value

ModelKind = Literal["sequence", "expression"]


@dataclass(frozen=True)
class ModelSpec:
    """An architecture: how to build it, how to explain it to a biologist (``title`` in
    full, ``short`` in legends and tables), and what it can show.

    ``shows`` names what a trained model of this kind offers beyond its predictions:
    ``features`` (last-layer vectors of sequences), ``filters`` (first-layer motifs),
    ``attention`` (attention maps), ``latent`` (a latent space of cells), ``modality
    latents`` (one latent per modality besides the joint one). ``complete_config`` fills
    settings that come from the data (e.g. the number of batches) and refuses data the
    model cannot read; ``needs_second_modality`` says it trains on two measurements.
    """

    name: str
    title: str
    short: str
    kind: ModelKind
    description: str
    config_class: type
    module_class: type[nn.Module]
    shows: frozenset[str] = field(default_factory=frozenset)
    complete_config: Callable[[dict, Any], dict] | None = None
    needs_second_modality: bool = False

    def config(self, **values: Any) -> Any:
        """The config dataclass with ``values`` over the defaults.

        Every value is checked against its field (see :func:`genodash.settings.checked_value`):
        its kind (whole number, number, yes/no, text, one of the options) and its bounds, so
        a config from a page, the command line or a saved run's ``config.json`` never
        reaches a model's constructor out of range.

        Raises
        ------
        ConfigError
            A key that is not one of the model's settings, or a value of the wrong kind or
            out of range (the message names the model, the setting, the value and the range).
        """
        fields = {f.name: f for f in dataclasses.fields(self.config_class)}
        unknown = sorted(set(values) - set(fields), key=str)
        if unknown:
            raise ConfigError(
                f"model {self.name!r} has no setting {', '.join(map(str, unknown))}; "
                f"it has {', '.join(sorted(fields))}"
            )
        try:
            checked = {key: checked_value(fields[key], value) for key, value in values.items()}
        except ConfigError as err:
            raise ConfigError(f"model {self.name!r}: {err}") from None
        try:
            return self.config_class(**checked)
        except (ValueError, TypeError) as err:
            if isinstance(err, ConfigError):
                raise
            raise ConfigError(f"model {self.name!r}: {err}") from err

    def fields(self) -> list[dataclasses.Field]:
        return list(dataclasses.fields(self.config_class))


def models_of(kind: ModelKind) -> list[str]:
    """Names of the registered models of ``kind``, in the registry's order.

    Parameters
    ----------
    kind
        ``"sequence"`` (classifiers of DNA) or ``"expression"`` (models of cells).
    """
    return [name for name, spec in MODELS.items() if spec.kind == kind]


def model_spec(name: str, kind: ModelKind) -> ModelSpec:
    """The registry entry of model ``name``, which must be of ``kind``.

    Parameters
    ----------
    name
        A registered model name.
    kind
        The kind the caller can train or use.

    Raises
    ------
    ConfigError
        Unknown name, or a model of the other kind (the message lists the valid names).
    """
    spec = MODELS.get(name)
    if spec is None or spec.kind != kind:
        raise ConfigError(
            f"unknown {kind} model {name!r}; choose one of {', '.join(models_of(kind))}"
        )
    return spec


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            "cnn",
            "CNN (convolutional network)",
            "CNN",
            "sequence",
            "Slides short learned filters along the DNA: each first-layer filter is a motif "
            "detector, like a position weight matrix the network learns by itself (DeepBind, "
            "Basset). Max-pooling keeps the strongest hit wherever it occurs, so the model "
            "finds a motif at any position. Fast, and easy to interpret: its filters can be "
            "drawn as sequence logos.",
            sequence.CNNConfig,
            sequence.CNN,
            shows=frozenset({"features", "filters"}),
        ),
        ModelSpec(
            "lstm",
            "LSTM (recurrent network)",
            "LSTM",
            "sequence",
            "Reads the sequence one step at a time, carrying a memory along, so it can learn "
            "order and spacing between elements; bidirectional reads it both ways. With the "
            "convolution front-end (as in DanQ) it first detects motifs, then learns their "
            "grammar — faster and usually better than reading raw bases.",
            sequence.LSTMConfig,
            sequence.LSTM,
            shows=frozenset({"features", "filters"}),
        ),
        ModelSpec(
            "transformer",
            "Transformer (attention)",
            "Transformer",
            "sequence",
            "Cuts the sequence into tokens (k-mers, or patches from a learned convolution), "
            "adds their positions and lets every token attend to every other, so distant "
            "elements can interact directly — the architecture behind DNA language models. "
            "Its attention maps show which tokens it related to which.",
            sequence.TransformerConfig,
            sequence.Transformer,
            shows=frozenset({"features", "attention"}),
        ),
        ModelSpec(
            "kmer",
            "k-mer logistic regression (baseline)",
            "k-mer baseline",
            "sequence",
            "The classic baseline: count every k-mer of each read (1 bp up to 4 bp by default; "
            "both strands together) and fit a logistic regression on their frequencies. No "
            "positions and no motifs, only composition — which is all it takes to tell genomes "
            "apart by GC content or dinucleotide use. A deep model is worth its cost only where "
            "it beats this line.",
            sequence.KmerConfig,
            sequence.KmerLogistic,
        ),
        ModelSpec(
            "autoencoder",
            "Autoencoder (dense)",
            "Autoencoder",
            "expression",
            "Squeezes each cell's expression profile through a narrow bottleneck of a few "
            "numbers (the latent space) and learns to rebuild the whole profile from them, by "
            "minimising the squared error on normalized values. Cells with similar programs "
            "end up close together, as in PCA, but the layers can bend to follow non-linear "
            "structure. The course preset is the classic 8-layer network: 512, 256 and 128 "
            "units down to the latent space and back up.",
            expression.AutoencoderConfig,
            expression.Autoencoder,
            shows=frozenset({"latent"}),
        ),
        ModelSpec(
            "vae",
            "Variational autoencoder (scVI-like)",
            "VAE",
            "expression",
            "An autoencoder whose latent space is a probability distribution: each cell is a "
            "small cloud, pulled towards a standard normal, so the space is smooth and "
            "meaningful between cells. With the negative-binomial likelihood it models raw "
            "counts directly, with each cell's sequencing depth and each gene's overdispersion, "
            "as scVI does. Telling it each cell's batch lets the decoder explain batch "
            "differences, so the latent space keeps the biology and drops the batch effect.",
            expression.VAEConfig,
            expression.VAE,
            shows=frozenset({"latent"}),
            complete_config=expression.complete_vae_config,
        ),
        ModelSpec(
            "scvis",
            "scvis (VAE with a t-SNE term)",
            "scvis",
            "expression",
            "A variational autoencoder whose latent space has two dimensions and is also "
            "trained to keep each cell's nearest neighbours together, as t-SNE does (Ding, "
            "Condon & Shah 2018). The latent space is the picture itself. Unlike t-SNE or "
            "UMAP it learns a mapping: cells it never saw are placed in the same picture by "
            "passing them through the encoder.",
            ScvisConfig,
            Scvis,
            shows=frozenset({"latent"}),
        ),
        ModelSpec(
            "integration",
            "Two-modality autoencoder (RNA + protein)",
            "RNA + protein autoencoder",
            "expression",
            "For two measurements of the same cells, such as RNA and surface proteins "
            "(CITE-seq): one encoder per measurement maps a cell into a shared latent space, "
            "the joint position is the average of the two, and one decoder per measurement "
            "rebuilds both from it. Cell types that only one measurement can tell apart stay "
            "apart in the joint space, so it separates more types than either alone — compare "
            "the three embeddings side by side.",
            expression.IntegrationConfig,
            expression.Integration,
            shows=frozenset({"latent", "modality latents"}),
            complete_config=expression.complete_integration_config,
            needs_second_modality=True,
        ),
        ModelSpec(
            "gene-transformer",
            "Gene-token Transformer (the idea of scGPT)",
            "Gene Transformer",
            "expression",
            "Reads each cell as a sentence of genes: the same genes for every cell (those whose "
            "level varies most between cells), each a token made of the gene's identity and "
            "its value (or, as in scGPT, a bin of it within the cell). It learns like BERT or "
            "scGPT, by hiding 15–40 % of the values and guessing them from "
            "the other genes, and attention lets every gene look at every other. The average "
            "of the tokens (or a CLS token) is the cell's position in the latent space. Not "
            "the real scGPT: this one has one or two hundred thousand parameters (most of "
            "them vectors of genes) instead of tens of millions, learns only from the cells in "
            "front of you instead of 33 million cells from many tissues, and is not fine-tuned "
            "for tasks such as annotation or batch correction.",
            gene_transformer.GeneTransformerConfig,
            gene_transformer.GeneTransformer,
            shows=frozenset({"latent", "attention"}),
        ),
    )
}

"""What a sequence model learned: attributions, filter motifs, attention, and what sits at
read ends (the end baseline, end saliency, end composition, calls on samples of reads).

Every attribution method has the same signature, ``f(model, x, target=None) -> array``
with ``x`` one-hot ``float32 (N, 4, L)`` and a result of the same shape, so saliency and
in-silico mutagenesis are interchangeable. ``target`` is a class index (default: each
sequence's predicted class). :func:`importance` reduces any attribution to one score per
position: the attribution of the base actually present.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import torch
from torch import nn

from genodash.data import SequenceSet
from genodash.encoding import ALPHABET, kept_window, one_hot
from genodash.errors import ConfigError
from genodash.predict import encode_for_run, one_hot_for_run, predict_probabilities

Method = Literal["saliency", "ism"]


def _device(model: nn.Module) -> torch.device:
    """Where the model's weights are: attributions run there, and the model is not moved."""
    return next(model.parameters()).device


def _as_tensor(x: np.ndarray | torch.Tensor, device: torch.device) -> torch.Tensor:
    return torch.as_tensor(np.asarray(x, dtype=np.float32), device=device)


def _targets(model: nn.Module, x: torch.Tensor, target: int | None) -> torch.Tensor:
    if target is not None:
        return torch.full((x.shape[0],), int(target), dtype=torch.long, device=x.device)
    with torch.no_grad():
        return model(x).argmax(dim=1)


def target_log_odds(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Log-odds log p/(1 − p) of each row's target class, from the logits before the softmax:
    the target's logit minus the log-sum-exp of the others.

    What every attribution here explains. Unlike the log-probability, which flattens at 0
    as p nears 1, it keeps its slope for a confident model, so the bases of a clear-cut
    sequence are not scored as if they did not matter.

    Parameters
    ----------
    logits
        Model outputs ``(N, classes)``.
    targets
        The class index of each row ``(N,)``.
    """
    logits = logits.float()
    target_logit = logits.gather(1, targets[:, None])[:, 0]
    others = logits.scatter(1, targets[:, None], float("-inf"))
    return target_logit - torch.logsumexp(others, dim=1)


def saliency(
    model: nn.Module, x: np.ndarray | torch.Tensor, target: int | None = None
) -> np.ndarray:
    """Gradient × input (Shrikumar et al. 2016, after the plain gradient of Simonyan et al.
    2014) of the target class's log-odds (see :func:`target_log_odds`).

    Non-zero only at the bases present; positive where a base raises the target class.
    Computed on the device that holds the model.

    Parameters
    ----------
    model
        A trained sequence classifier taking one-hot input (left in evaluation mode).
    x
        One-hot sequences ``float32 (N, 4, L)`` (A, C, G, T channels), a NumPy array or a
        tensor.
    target
        Class index to explain; ``None`` explains each sequence's predicted class.

    Returns
    -------
    ``float32 (N, 4, L)``, the same shape as ``x``.
    """
    model.eval()
    inputs = _as_tensor(x, _device(model)).requires_grad_(True)
    targets = _targets(model, inputs.detach(), target)
    target_log_odds(model(inputs), targets).sum().backward()
    return (inputs.grad * inputs).detach().cpu().numpy()


@torch.no_grad()
def ism(
    model: nn.Module,
    x: np.ndarray | torch.Tensor,
    target: int | None = None,
    *,
    batch_size: int = 1024,
) -> np.ndarray:
    """In-silico mutagenesis: the target class's log-odds (see :func:`target_log_odds`) with
    each base at each position.

    Centred per position (minus the mean over the four bases), so the value at the base
    present is how much better it does than an average base there. Positions without a
    base (padding, N) get zeros. Computed on the device that holds the model.

    Parameters
    ----------
    model, x, target
        As for :func:`saliency`.
    batch_size
        How many mutated copies of a sequence go through the model at once; lower it if
        memory runs out. Does not change the result.

    Returns
    -------
    ``float32 (N, 4, L)``, the same shape as ``x``.
    """
    model.eval()
    inputs = _as_tensor(x, _device(model))
    targets = _targets(model, inputs, target)
    n, _, length = inputs.shape
    result = np.zeros((n, 4, length), dtype=np.float32)
    for i in range(n):
        result[i] = _ism_one(model, inputs[i], int(targets[i]), batch_size)
    return result


def _ism_one(model: nn.Module, one_hot: torch.Tensor, target: int, batch_size: int) -> np.ndarray:
    positions = torch.nonzero(one_hot.sum(dim=0) > 0).flatten()
    variants = one_hot.repeat(len(positions) * 4, 1, 1)  # (P*4, 4, L)
    rows = torch.arange(len(variants), device=one_hot.device)
    position_of_row = positions.repeat_interleave(4)
    base_of_row = torch.arange(4, device=one_hot.device).repeat(len(positions))
    variants[rows, :, position_of_row] = 0.0
    variants[rows, base_of_row, position_of_row] = 1.0
    scores = torch.cat(
        [
            target_log_odds(model(batch), torch.full((len(batch),), target, device=batch.device))
            for batch in variants.split(batch_size)
        ]
    )
    table = np.zeros((4, one_hot.shape[1]), dtype=np.float32)
    by_position = scores.reshape(len(positions), 4).cpu().numpy()
    table[:, positions.cpu().numpy()] = (by_position - by_position.mean(axis=1, keepdims=True)).T
    return table


METHODS: dict[str, Callable[..., np.ndarray]] = {"saliency": saliency, "ism": ism}


def attribute(
    model: nn.Module, x: np.ndarray, method: Method = "saliency", target: int | None = None
) -> np.ndarray:
    """Dispatch to :func:`saliency` or :func:`ism` by name.

    Parameters
    ----------
    model
        A trained sequence classifier taking one-hot input.
    x
        One-hot sequences ``float32 (N, 4, L)`` (A, C, G, T channels), a NumPy array or a
        tensor.
    method
        ``"saliency"`` (fast, one gradient) or ``"ism"`` (every single-base change; slower).
    target
        Class index to explain; ``None`` explains each sequence's predicted class.

    Returns
    -------
    ``float32 (N, 4, L)``, the same shape as ``x``.

    Raises
    ------
    ConfigError
        ``method`` is neither ``"saliency"`` nor ``"ism"``.
    """
    if method not in METHODS:
        raise ConfigError(f"unknown attribution method {method!r}; choose saliency or ism")
    return METHODS[method](model, x, target)


def importance(attribution: np.ndarray, x: np.ndarray) -> np.ndarray:
    """One score per position ``(N, L)``: the attribution of the base present.

    Parameters
    ----------
    attribution
        Per-base scores ``(N, 4, L)``, e.g. from :func:`attribute`.
    x
        The one-hot sequences ``(N, 4, L)`` the attribution was computed on; positions with
        no base (N, padding) score 0.
    """
    return (np.asarray(attribution) * np.asarray(x)).sum(axis=1)


def top_window_starts(scores: np.ndarray, window: int) -> np.ndarray:
    """Start of the ``window``-bp stretch with the highest summed score, per sequence.

    Parameters
    ----------
    scores
        One score per position ``(N, L)``, e.g. from :func:`importance`.
    window
        Width of the stretch in bases (cut to ``L`` when longer).

    Returns
    -------
    ``(N,)`` 0-based start positions in the encoded rows.
    """
    window = min(window, scores.shape[1])
    cumulative = np.concatenate([np.zeros((scores.shape[0], 1)), np.cumsum(scores, axis=1)], axis=1)
    sums = cumulative[:, window:] - cumulative[:, :-window]
    return sums.argmax(axis=1)


def motif_recovery(
    scores: np.ndarray, motif_starts: np.ndarray, motif_length: int, window: int | None = None
) -> float:
    """Share of sequences whose top-scoring window overlaps the planted motif.

    Parameters
    ----------
    scores
        One score per position ``(N, L)``, e.g. from :func:`importance`.
    motif_starts
        ``(N,)`` each sequence's planted start, 0-based (−1: none; those are skipped).
    motif_length
        Width of the planted motif in bases.
    window
        Width of the top-scoring window in bases; ``None`` uses ``motif_length``.

    Returns
    -------
    A fraction between 0 and 1, or NaN when no sequence has a planted motif.
    """
    window = window or motif_length
    planted = np.asarray(motif_starts) >= 0
    if not planted.any():
        return float("nan")
    starts = top_window_starts(np.asarray(scores)[planted], window)
    truth = np.asarray(motif_starts)[planted]
    overlaps = (starts < truth + motif_length) & (truth < starts + window)
    return float(overlaps.mean())


# --- CNN filters as motifs ----------------------------------------------------------------


@dataclass(frozen=True)
class FilterMotif:
    """What one first-layer filter responds to, learned from the sequences it fires on."""

    index: int
    frequencies: np.ndarray  # (width, 4): base frequencies of activating windows
    n_sites: int
    top_kmers: list[tuple[str, int]]
    max_activation: float

    @property
    def information(self) -> float:
        """Total information content (bits) of the frequency matrix."""
        p = np.clip(self.frequencies, 1e-9, 1)
        return float((2 + (p * np.log2(p)).sum(axis=1)).sum())

    @property
    def consensus(self) -> str:
        return "".join(ALPHABET[i] for i in self.frequencies.argmax(axis=1))


def first_conv(model: nn.Module) -> nn.Conv1d:
    """The first convolution over the one-hot input (CNN, or an LSTM's front-end).

    Parameters
    ----------
    model
        A genodash sequence model.

    Raises
    ------
    ConfigError
        The model has no convolution over the DNA (e.g. a Transformer or a plain LSTM).
    """
    conv = model.motif_filters()
    if conv is not None:
        return conv
    raise ConfigError(
        "this model has no convolution over the DNA (filters exist only for the "
        "CNN and the LSTM with a convolution front-end)"
    )


@torch.no_grad()
def filter_motifs(
    model: nn.Module, x: np.ndarray, *, threshold: float = 0.5, top_kmers: int = 5
) -> list[FilterMotif]:
    """Turn each first-layer filter into a motif (Kelley et al., Basset, 2016).

    For each filter, every window of the input whose activation reaches ``threshold`` × the
    filter's maximum over ``x`` is collected; their base frequencies form the motif, and the
    most common of those windows are its top k-mers.

    Parameters
    ----------
    model
        A trained CNN, or an LSTM with a convolution front-end.
    x
        One-hot sequences ``float32 (N, 4, L)`` to find the activating windows in.
    threshold
        Fraction (0–1) of a filter's highest activation a window must reach to count.
    top_kmers
        How many of the most common activating k-mers to keep per filter.

    Returns
    -------
    One motif per filter, most informative first (filters that never fire last).

    Raises
    ------
    ConfigError
        The model has no convolution over the DNA.
    """
    conv = first_conv(model.eval())
    inputs = _as_tensor(x, _device(model))
    width = conv.kernel_size[0]
    activations = nn.functional.conv1d(inputs, conv.weight, conv.bias)  # (N, F, L - w + 1)
    windows = inputs.unfold(2, width, 1).permute(0, 2, 3, 1)  # (N, L - w + 1, w, 4)
    motifs = []
    for f in range(activations.shape[1]):
        act = activations[:, f, :]
        peak = float(act.max())
        hits = (act >= threshold * peak) & (act > 0)
        sites = windows[hits]  # (n_sites, w, 4)
        complete = sites.sum(dim=(1, 2)) == width  # windows without N or padding
        sites = sites[complete]
        frequencies = (
            sites.mean(dim=0).cpu().numpy()
            if len(sites)
            else np.full((width, 4), 0.25, dtype=np.float32)
        )
        motifs.append(
            FilterMotif(f, frequencies, len(sites), _common_kmers(sites, top_kmers), peak)
        )
    return sorted(motifs, key=lambda m: (m.n_sites > 0, m.information), reverse=True)


def _common_kmers(sites: torch.Tensor, top: int) -> list[tuple[str, int]]:
    if not len(sites):
        return []
    letters = np.array(list(ALPHABET))[sites.argmax(dim=2).cpu().numpy()]
    return Counter("".join(row) for row in letters).most_common(top)


# --- Transformer attention -----------------------------------------------------------------


@torch.no_grad()
def attention_maps(model: nn.Module, x: np.ndarray) -> list[np.ndarray]:
    """Attention weights for one sequence ``x`` (1, 4, L): per layer, ``(heads, T, T)``.

    Parameters
    ----------
    model
        A trained genodash Transformer.
    x
        One-hot sequences ``(N, 4, L)``; only the first is used.

    Returns
    -------
    One array per layer; ``T`` is the number of tokens, and row ``i`` says how token ``i``
    attends to every token.

    Raises
    ------
    ConfigError
        The model is not a Transformer.
    """
    if not model.records_attention:
        raise ConfigError("attention maps exist only for the Transformer")
    model.eval()
    model.record_attention(True)
    try:
        model(_as_tensor(x, _device(model))[:1])
        maps = [weights[0].cpu().numpy() for weights in model.attention()]
    finally:
        model.record_attention(False)
    return maps


def token_spans(model: nn.Module, n_tokens: int) -> list[tuple[int, int]]:
    """The (start, end) positions of the encoded row each Transformer token covers, 0-based,
    end exclusive.

    Parameters
    ----------
    model
        A genodash Transformer (its k-mer width ``k`` and ``stride`` set the spans).
    n_tokens
        How many tokens the sequence was cut into (``T`` of :func:`attention_maps`).
    """
    return [(t * model.stride, t * model.stride + model.k) for t in range(n_tokens)]


@dataclass(frozen=True)
class SequenceAttention:
    """Attention over one sequence, among the tokens that cover at least one of its bases.

    Attributes
    ----------
    maps
        Per layer, ``(heads, T, T)``: row token attends to column token.
    spans
        Per token, the (start, end) bases it covers, 0-based in the original sequence,
        end exclusive.
    """

    maps: list[np.ndarray]
    spans: list[tuple[int, int]]


def sequence_attention(run: object, sequences: SequenceSet) -> SequenceAttention:
    """Attention of ``run``'s Transformer over the first of ``sequences``.

    Tokens that cover only padding (beyond a short sequence) are left out; the others are
    clipped to the bases they hold and placed in the original sequence's coordinates.

    Parameters
    ----------
    run
        A loaded run holding a trained Transformer and the encoding it was trained with.
    sequences
        Sequences to look at; only the first is used.

    Raises
    ------
    ConfigError
        The run's model is not a Transformer.
    """
    x = one_hot(encode_for_run(run, sequences.subset([0])))
    maps = attention_maps(run.model, x)
    length, align = run.encoding.length, run.encoding.align
    source, target, count = kept_window(len(sequences.sequences[0]), length, align)
    kept, spans = [], []
    for token, (start, end) in enumerate(token_spans(run.model, maps[0].shape[-1])):
        first, last = max(start, target), min(end, target + count)
        if first < last:
            kept.append(token)
            spans.append((first - target + source, last - target + source))
    picked = np.ix_(range(maps[0].shape[0]), kept, kept)
    return SequenceAttention([layer[picked] for layer in maps], spans)


# --- tables of per-base scores (the page's downloads and the CLI's `explain`) -------------


def score_table(
    run: object, sequences: SequenceSet, scores: Mapping[str, np.ndarray]
) -> pd.DataFrame:
    """One row per scored base, positions in the original sequences.

    Parameters
    ----------
    run
        The run whose encoding (length, alignment) made the model input.
    sequences
        The sequences that were encoded, in the order of the score rows.
    scores
        Column name → per-position scores ``(N, L)`` in the encoded rows (e.g. from
        :func:`importance`).

    Returns
    -------
    pandas.DataFrame
        ``seq_id``, ``position`` (0-based in the original sequence), ``base``, then one
        column per entry of ``scores``. Bases the encoding cut off have no row.
    """
    length, align = run.encoding.length, run.encoding.align
    frames = []
    for i, sequence in enumerate(sequences.sequences):
        source, target, count = kept_window(len(sequence), length, align)
        columns = {
            name: np.asarray(values)[i, target : target + count].round(6)
            for name, values in scores.items()
        }
        frames.append(
            pd.DataFrame(
                {
                    "seq_id": sequences.ids[i],
                    "position": np.arange(source, source + count),
                    "base": list(sequence[source : source + count]),
                    **columns,
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=["seq_id", "position", "base", *scores])
    return pd.concat(frames, ignore_index=True)


def base_matrix(table: pd.DataFrame, column: str) -> np.ndarray:
    """Positions × 4 (A, C, G, T): ``column``'s score at the base present, 0 elsewhere, for
    drawing one sequence of a :func:`score_table` as a logo.

    Parameters
    ----------
    table
        The rows of :func:`score_table` for one sequence, in position order.
    column
        Which score column to spread over the bases, e.g. ``"saliency"``.

    Returns
    -------
    ``float32 (P, 4)``, one row per row of ``table``; N bases give all-zero rows.
    """
    matrix = np.zeros((len(table), 4), dtype=np.float32)
    for row, (base, score) in enumerate(zip(table["base"], table[column], strict=True)):
        if base in ALPHABET:
            matrix[row, ALPHABET.index(base)] = score
    return matrix


def explain_table(
    run: object,
    sequences: SequenceSet,
    *,
    method: Method = "saliency",
    target: int | None = None,
    batch_size: int = 256,
) -> pd.DataFrame:
    """Per-base scores of ``sequences`` under ``run``'s model, by ``method``.

    Parameters
    ----------
    run
        A sequence run.
    sequences
        The sequences to explain; encoded as the run's training data was.
    method
        ``"saliency"`` or ``"ism"``.
    target
        Class index to explain (default: each sequence's predicted class).
    batch_size
        Sequences attributed at once.

    Returns
    -------
    pandas.DataFrame
        :func:`score_table` with one ``score`` column: the attribution of the base present.
    """
    codes = encode_for_run(run, sequences)
    frames = []
    for start in range(0, sequences.n_obs, batch_size):
        x = one_hot(codes[start : start + batch_size])
        scores = importance(attribute(run.model, x, method, target), x)
        batch = sequences.subset(range(start, start + len(x)))
        frames.append(score_table(run, batch, {"score": scores}))
    if not frames:
        return score_table(run, sequences, {"score": np.zeros((0, 0))})
    return pd.concat(frames, ignore_index=True)


# --- what the Interpret page shows --------------------------------------------------------

ISM_COLUMNS = [f"ism_{base}" for base in ALPHABET]
MAX_ISM_SEQUENCES = 100  # ISM asks the model 4 × length times per sequence
MAX_PROFILE_SEQUENCES = 5000  # saliency of 5,000 reads: a few seconds, memory in chunks
PROFILE_CHUNK = 500
MAX_FILTER_SEQUENCES = 2000


def default_target(run: object) -> int:
    """The class explained unless the user picks another: the run's positive class, else
    the last class.

    Parameters
    ----------
    run
        A sequence run.
    """
    classes = run.classes
    if run.positive_class in classes:
        return classes.index(run.positive_class)
    return len(classes) - 1


def sequences_to_explain(run: object, sequences: SequenceSet) -> tuple[np.ndarray, str]:
    """Rows of ``sequences`` to explain: the run's test set when it was trained on them.

    Parameters
    ----------
    run
        A sequence run (its data fingerprint and saved split).
    sequences
        The loaded sequences.

    Returns
    -------
    tuple
        The row indices, and in words which sequences they are.
    """
    from genodash.train.sequence import fingerprint

    sample_test = _sample_test_rows(run, sequences)
    if sample_test is not None:
        return sample_test, "the sample's reads in its test set (reads it never saw)"
    if run.data.get("fingerprint") == fingerprint(sequences) and "split" in run.tables:
        subsets = run.tables["split"]["subset"].to_numpy()
        return np.flatnonzero(subsets == "test"), "its test set (sequences it never saw)"
    return np.arange(sequences.n_obs), "all loaded sequences (the model was trained on other data)"


def _sample_test_rows(run: object, sequences: SequenceSet) -> np.ndarray | None:
    """For a sample of a converted read file and a run trained on every read of that file:
    the sample rows in the run's test set (its split is drawn again: same labels, seed and
    fractions). None otherwise."""
    from genodash.errors import InputError
    from genodash.io.read_store import load_read_store
    from genodash.splits import stratified_split

    folder = sequences.meta.get("read_store")
    if folder is None:
        return None
    try:
        store = load_read_store(folder)
    except InputError:
        return None  # the cache was cleared
    if run.data.get("fingerprint") != store.sha256 or store.labels is None:
        return None
    split = run.config["split"]
    test = stratified_split(
        store.labels,
        store.n_reads,
        val_fraction=split["val_fraction"],
        test_fraction=split["test_fraction"],
        seed=split["seed"],
        class_names=store.classes,
    ).test
    return np.flatnonzero(np.isin(sequences.meta["read_rows"], test))


def planted_window(sequences: SequenceSet, row: int) -> tuple[int | None, int | None]:
    """Start (0-based) and width of the motif planted in sequence ``row``, if known.

    Parameters
    ----------
    sequences
        Sequences; generated planted-motif data record ``motif_starts`` and ``motif_width``.
    row
        The sequence's index in ``sequences``.

    Returns
    -------
    tuple
        ``(start, width)``; ``(None, None)`` when the data record no planted motif.
    """
    starts = sequences.meta.get("motif_starts")
    if starts is None:
        return None, None
    return int(starts[row]), sequences.meta["motif_width"]


@dataclass(frozen=True)
class OneSequenceView:
    """Everything the one-sequence view shows: probabilities, per-base scores, the motif.

    Attributes
    ----------
    probabilities
        Class name → the model's probability for this sequence, in output order.
    table
        :func:`score_table` with ``saliency`` and one ``ism_<base>`` column per base.
    sequence
        The bases of ``table`` (those the encoding kept).
    first_position
        0-based position in the original sequence of the first scored base.
    motif_start, motif_width
        The planted motif (0-based start), or ``None`` when unknown.
    """

    probabilities: dict[str, float]
    table: pd.DataFrame
    sequence: str
    first_position: int
    motif_start: int | None
    motif_width: int | None

    def saliency(self) -> np.ndarray:
        """The saliency of each scored base, in order."""
        return self.table["saliency"].to_numpy()

    def ism_matrix(self) -> np.ndarray:
        """ISM effects as ``(4, L)``: rows A, C, G, T, one column per scored base."""
        return self.table[ISM_COLUMNS].to_numpy().T

    def saliency_matrix(self) -> np.ndarray:
        """Positions × 4: the saliency of the base present (for a logo)."""
        return base_matrix(self.table, "saliency")


def one_sequence_view(
    run: object, sequences: SequenceSet, row: int, *, target: int
) -> OneSequenceView:
    """Probabilities, saliency and in-silico mutagenesis of one sequence under ``run``.

    Parameters
    ----------
    run
        A sequence run.
    sequences
        The loaded sequences.
    row
        Index of the sequence to explain in ``sequences``.
    target
        Index of the class whose score is explained.
    """
    one = sequences.subset([row])
    codes = encode_for_run(run, one)
    x = one_hot(codes)
    probabilities = predict_probabilities(run.model, codes)[0]
    ism_scores = ism(run.model, x, target)
    table = score_table(
        run,
        one,
        {
            "saliency": importance(saliency(run.model, x, target), x),
            **{column: ism_scores[:, k, :] for k, column in enumerate(ISM_COLUMNS)},
        },
    )
    start, width = planted_window(sequences, row)
    return OneSequenceView(
        probabilities={c: float(p) for c, p in zip(run.classes, probabilities, strict=True)},
        table=table,
        sequence="".join(table["base"]),
        first_position=int(table["position"].iloc[0]) if len(table) else 0,
        motif_start=start,
        motif_width=width,
    )


def importance_by_class(scores: np.ndarray, labels: Sequence[str] | None) -> dict[str, np.ndarray]:
    """Mean absolute importance along the sequence, per true class.

    Parameters
    ----------
    scores
        Per-position importance ``(N, L)``.
    labels
        The class of each row, or ``None`` for unlabelled sequences.

    Returns
    -------
    dict
        Class → mean ``|importance|`` per position; a single ``"all"`` when unlabelled.
    """
    magnitude = np.abs(np.asarray(scores))
    if labels is None:
        return {"all": magnitude.mean(axis=0)}
    labels = np.asarray(labels)
    return {str(c): magnitude[labels == c].mean(axis=0) for c in np.unique(labels)}


@dataclass(frozen=True)
class Recovery:
    """How often the top-scoring window falls on the planted motif.

    Attributes
    ----------
    share
        Share of sequences with a planted motif whose top window overlaps it.
    n_planted
        How many of the scored sequences have a planted motif.
    width
        The motif's width (bp), also the window's.
    """

    share: float
    n_planted: int
    width: int


def planted_recovery(
    scores: np.ndarray, sequences: SequenceSet, rows: Sequence[int]
) -> Recovery | None:
    """:func:`motif_recovery` of ``scores`` against the motifs planted in ``rows``.

    Parameters
    ----------
    scores
        Per-position importance ``(N, L)`` of the sequences at ``rows``.
    sequences
        The loaded sequences.
    rows
        Indices in ``sequences`` of the scored sequences, in the order of ``scores``.

    Returns
    -------
    Recovery or None
        ``None`` when the data record no planted motif.
    """
    starts = sequences.meta.get("motif_starts")
    if starts is None:
        return None
    planted = np.array([starts[i] for i in rows])
    width = int(sequences.meta["motif_width"])
    return Recovery(motif_recovery(scores, planted, width), int((planted >= 0).sum()), width)


@dataclass(frozen=True)
class ProfileView:
    """Where the model looks across many sequences.

    Attributes
    ----------
    profiles
        True class (``"all"`` when unlabelled) → mean ``|importance|`` per position.
    recovery
        How often the top-scoring window falls on the planted motif; ``None`` when the
        data record no planted motif.
    n_sequences
        How many sequences were scored.
    """

    profiles: dict[str, np.ndarray]
    recovery: Recovery | None
    n_sequences: int


def profile_view(
    run: object,
    sequences: SequenceSet,
    rows: Sequence[int],
    *,
    method: Method = "saliency",
    target: int | None = None,
) -> ProfileView:
    """Importance profiles by class of the first :data:`MAX_PROFILE_SEQUENCES` sequences
    at ``rows`` (ISM: :data:`MAX_ISM_SEQUENCES`), and the planted motif's recovery.

    Parameters
    ----------
    run
        A sequence run; the sequences are encoded as its training data was.
    sequences
        The loaded sequences.
    rows
        Indices in ``sequences`` of the sequences to explain.
    method
        ``"saliency"`` or ``"ism"``.
    target
        Class index to explain (default: each sequence's predicted class).
    """
    rows = np.asarray(rows, dtype=np.int64)
    rows = rows[: MAX_ISM_SEQUENCES if method == "ism" else MAX_PROFILE_SEQUENCES]
    chunks = []
    for start in range(0, len(rows), PROFILE_CHUNK):  # gradients of a chunk at a time
        x = one_hot_for_run(run, sequences.subset(rows[start : start + PROFILE_CHUNK]))
        chunks.append(importance(attribute(run.model, x, method, target), x))
    scores = np.concatenate(chunks)
    labels = [sequences.labels[i] for i in rows] if sequences.labels else None
    return ProfileView(
        profiles=importance_by_class(scores, labels),
        recovery=planted_recovery(scores, sequences, rows),
        n_sequences=len(rows),
    )


def run_filter_motifs(
    run: object,
    sequences: SequenceSet,
    rows: Sequence[int],
    *,
    max_sequences: int = MAX_FILTER_SEQUENCES,
) -> list[FilterMotif]:
    """:func:`filter_motifs` of ``run``'s model, learned from the first ``max_sequences``
    of the sequences at ``rows``.

    Parameters
    ----------
    run
        A sequence run whose model has a convolution over the DNA.
    sequences
        The loaded sequences; encoded as the run's training data was.
    rows
        Indices in ``sequences`` of the sequences to collect activating windows from.
    max_sequences
        At most this many (the first of ``rows``) are used.

    Raises
    ------
    ConfigError
        The model has no convolution over the DNA.
    """
    chosen = np.asarray(rows, dtype=np.int64)[:max_sequences]
    return filter_motifs(run.model, one_hot_for_run(run, sequences.subset(chosen)))


# --- read ends: damage in ancient DNA, and what one read can tell -------------------------

END_SPAN = 10
"""Bases from each end of a read that the end baseline reads (as far as damage reaches)."""
END_WINDOW = 5
"""Bases from each end counted as "the ends" when weighing where saliency sits."""


@dataclass(frozen=True)
class EndSaliency:
    """Where attribution sits along reads, counted from each end.

    Attributes
    ----------
    from_5prime, from_3prime
        Mean ``|importance|`` at the 1st, 2nd, … base from the 5′ (3′) end, over the reads
        that reach it; each covers its own end only (at most half the longest read), so the
        two do not show the same bases.
    ratio
        Mean ``|importance|`` per base in the first and last ``ends`` bases of each read,
        divided by the mean per base in the rest (the middle); above 1 when the model looks
        at the ends, infinite when only the ends score. NaN when no read is longer than
        ``2 × ends`` (or nothing scores).
    ends
        Bases counted as an end on each side.
    n_reads
        How many reads were scored.
    """

    from_5prime: np.ndarray
    from_3prime: np.ndarray
    ratio: float
    ends: int
    n_reads: int


def _read_extents(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and last column holding a base, per row of one-hot ``(N, 4, L)``."""
    present = np.asarray(x).sum(axis=1) > 0  # (N, L)
    columns = np.arange(present.shape[1])
    first = np.where(present, columns, present.shape[1]).min(axis=1)
    last = np.where(present, columns, -1).max(axis=1)
    return first, last


def end_profile(
    scores: np.ndarray, x: np.ndarray, *, ends: int = END_WINDOW, span: int = 2 * END_SPAN
) -> EndSaliency:
    """Mean ``|scores|`` by distance from each read end, and the share that sits at the ends.

    A read spans from the first to the last column of ``x`` with a base, wherever the
    encoding placed it (left, right or centred), so reads of different lengths line up
    at their own ends. The ratio weighs whole reads; the profiles keep the first ``span``
    bases from each end, and at most half the longest read, so that each shows its own end.

    Parameters
    ----------
    scores
        One score per position ``(N, L)``, e.g. from :func:`importance`.
    x
        The one-hot reads ``(N, 4, L)`` the scores belong to.
    ends
        How many bases at each end count as the end, at least 1.
    span
        Bases profiled from each end, at least 1.

    Returns
    -------
    The two profiles and the end-to-middle ratio (see :class:`EndSaliency`).

    Raises
    ------
    ConfigError
        ``ends`` or ``span`` below 1.
    """
    if ends < 1 or span < 1:
        raise ConfigError(f"ends and span must be at least 1 base, got {ends} and {span}")
    magnitude = np.abs(np.asarray(scores, dtype=np.float64))
    first, last = _read_extents(x)
    steps = np.arange(magnitude.shape[1])
    within = steps[None, :] <= (last - first)[:, None]  # (N, L): the read reaches this step
    columns = np.clip(first[:, None] + steps, 0, magnitude.shape[1] - 1)
    from_5 = np.where(within, np.take_along_axis(magnitude, columns, axis=1), np.nan)
    columns = np.clip(last[:, None] - steps, 0, magnitude.shape[1] - 1)
    from_3 = np.where(within, np.take_along_axis(magnitude, columns, axis=1), np.nan)
    at_end = within & ((steps < ends) | (steps[None, :] > (last - first)[:, None] - ends))
    middle = within & ~at_end
    ratio = _ratio(from_5[at_end], from_5[middle]) if middle.any() else float("nan")
    half = -(-int(within.sum(axis=1).max(initial=0)) // 2)
    shown = slice(0, min(span, half))
    return EndSaliency(
        from_5prime=np.nanmean(from_5[:, shown], axis=0),
        from_3prime=np.nanmean(from_3[:, shown], axis=0),
        ratio=float(ratio),
        ends=ends,
        n_reads=len(magnitude),
    )


def _ratio(ends: np.ndarray, middle: np.ndarray) -> float:
    """Mean of ``ends`` over mean of ``middle``; infinite when only the ends score."""
    top, bottom = float(ends.mean()), float(middle.mean())
    if bottom == 0:
        return float("inf") if top > 0 else float("nan")
    return top / bottom


def end_saliency(
    model: nn.Module,
    x: np.ndarray,
    *,
    ends: int = END_WINDOW,
    target: int | None = None,
    batch_size: int = 1024,
) -> EndSaliency:
    """:func:`end_profile` of the :func:`saliency` of ``model`` on reads ``x``.

    Parameters
    ----------
    model
        A trained sequence classifier taking one-hot input.
    x
        One-hot reads ``float32 (N, 4, L)``.
    ends
        How many bases at each end count as the end.
    target
        Class index to explain; ``None`` explains each read's predicted class (with two
        classes the magnitudes are the same either way).
    batch_size
        Reads attributed at once; does not change the result.
    """
    batches = [x[start : start + batch_size] for start in range(0, len(x), batch_size)]
    scores = np.concatenate([importance(saliency(model, b, target), b) for b in batches])
    return end_profile(scores, x, ends=ends)


def end_features(sequences: Sequence[str], *, span: int = END_SPAN) -> np.ndarray:
    """One-hot of the first and last ``span`` bases of each read, flattened.

    Parameters
    ----------
    sequences
        DNA reads; a read shorter than ``span`` leaves empty (all-zero) positions.
    span
        Bases read from each end.

    Returns
    -------
    ``float32 (N, 2 × 4 × span)``: the 5′ end's one-hot, then the 3′ end's.
    """
    five = one_hot(sequences, span, align="left")
    three = one_hot(sequences, span, align="right")
    return np.concatenate([five, three], axis=2).reshape(len(five), -1)


@dataclass(frozen=True)
class EndBaseline:
    """A logistic regression that reads only the bases at the read ends.

    Attributes
    ----------
    accuracy
        Its accuracy on the test reads.
    span
        Bases it read at each end.
    n_train, n_test
        Reads it was fitted on and scored on.
    """

    accuracy: float
    span: int
    n_train: int
    n_test: int


def end_baseline(
    sequences: SequenceSet,
    *,
    test_rows: Sequence[int] | None = None,
    span: int = END_SPAN,
    seed: int = 0,
) -> EndBaseline:
    """Fit a logistic regression on :func:`end_features` and score it on held-out reads.

    When reads differ only by independent changes at their ends (as damage does in the
    ancient-DNA example), this is the best any classifier of one read can do: the ceiling
    a deep model can reach, not beat.

    Parameters
    ----------
    sequences
        Labelled reads.
    test_rows
        Rows to score on (e.g. a run's test set); it is fitted on all the others. ``None``
        holds out a stratified 25 % drawn with ``seed``.
    span
        Bases read from each end, at least 1.
    seed
        Seed of the held-out draw when ``test_rows`` is ``None``.

    Raises
    ------
    ConfigError
        Unlabelled reads, ``span`` below 1, or training reads of a single class.
    """
    from sklearn.linear_model import LogisticRegression

    from genodash.splits import stratified_split

    if sequences.labels is None:
        raise ConfigError(f"{sequences.name} has no labels; the end baseline needs classes")
    if span < 1:
        raise ConfigError(f"span must be at least 1 base, got {span}")
    labels = np.asarray(sequences.labels)
    if test_rows is None:
        test = stratified_split(labels, len(labels), seed=seed).test
    else:
        test = np.asarray(test_rows, dtype=np.int64)
    train = np.setdiff1d(np.arange(len(labels)), test)
    if len(np.unique(labels[train])) < 2:
        raise ConfigError(
            "the end baseline needs reads of at least two classes outside the test rows; "
            "score it on part of the reads"
        )
    features = end_features(sequences.sequences, span=span)
    model = LogisticRegression(max_iter=1000).fit(features[train], labels[train])
    return EndBaseline(
        accuracy=float(model.score(features[test], labels[test])),
        span=span,
        n_train=len(train),
        n_test=len(test),
    )


@dataclass(frozen=True)
class EndComposition:
    """Base composition at the read ends, per class: what damage changes.

    Attributes
    ----------
    t_from_5prime
        Class → share of T at the 1st … ``span``-th base from the 5′ end.
    a_from_3prime
        Class → share of A at the 1st … ``span``-th base from the 3′ end.
    span
        Bases from each end.
    """

    t_from_5prime: dict[str, np.ndarray]
    a_from_3prime: dict[str, np.ndarray]
    span: int


def end_composition(sequences: SequenceSet, *, span: int = 2 * END_SPAN) -> EndComposition:
    """Share of T from the 5′ end and of A from the 3′ end, per class, at each position.

    Base composition along reads comes from :func:`genodash.summaries.sequence_profile`
    (on a random subsample of large sets); the 3′ end is profiled on the reversed reads.

    Parameters
    ----------
    sequences
        Reads; unlabelled ones form a single class, ``"all"``.
    span
        Positions from each end, at least 1.

    Raises
    ------
    ConfigError
        ``span`` below 1.
    """
    import dataclasses

    from genodash.summaries import sequence_profile

    if span < 1:
        raise ConfigError(f"span must be at least 1 base, got {span}")
    reversed_reads = dataclasses.replace(
        sequences, sequences=tuple(read[::-1] for read in sequences.sequences)
    )
    five = sequence_profile(sequences, max_positions=span).composition
    three = sequence_profile(reversed_reads, max_positions=span).composition
    return EndComposition(
        t_from_5prime={str(c): share[:, ALPHABET.index("T")] for c, share in five.items()},
        a_from_3prime={str(c): share[:, ALPHABET.index("A")] for c, share in three.items()},
        span=span,
    )


@dataclass(frozen=True)
class SampleCalls:
    """What many reads tell together: samples of reads, each from one class, and the share
    of each sample's reads that a classifier calls ``called``.

    Attributes
    ----------
    called
        The class whose calls are counted (e.g. ``"ancient"``).
    shares
        True class of the sample's reads → share called ``called`` in each sample.
    sample_size
        Reads per sample.
    """

    called: str
    shares: dict[str, np.ndarray]
    sample_size: int

    def misassigned(self) -> float:
        """Share of samples on the wrong side of the midpoint between the classes' mean
        shares (two classes; NaN otherwise): 0 when the samples separate cleanly."""
        if len(self.shares) != 2 or self.called not in self.shares:
            return float("nan")
        inside = self.shares[self.called]
        outside = next(v for c, v in self.shares.items() if c != self.called)
        cut = (inside.mean() + outside.mean()) / 2
        wrong = (inside <= cut).sum() + (outside >= cut).sum()
        return float(wrong / (len(inside) + len(outside)))


def sample_calls(
    calls: Sequence[str],
    labels: Sequence[str],
    *,
    called: str,
    sample_size: int = 1000,
    n_samples: int = 500,
    seed: int = 0,
) -> SampleCalls:
    """Draw samples of ``sample_size`` reads from each class (with replacement) and count
    the share of each sample's reads called ``called``.

    One read says little when a classifier is barely better than chance; a sample of many
    reads says a lot, because the share called ``called`` differs between classes by far
    more than its sampling noise (about ``0.5 / √sample_size``).

    Parameters
    ----------
    calls
        The class a classifier gave each read.
    labels
        The true class of each read.
    called
        The class whose calls are counted.
    sample_size
        Reads per sample, at least 1.
    n_samples
        Samples drawn per class, at least 1.
    seed
        Seed of the draws.

    Raises
    ------
    ConfigError
        ``calls`` and ``labels`` of different lengths, or sizes below 1.
    """
    calls, labels = np.asarray(calls), np.asarray(labels)
    if len(calls) != len(labels):
        raise ConfigError(f"{len(calls):,} calls for {len(labels):,} labelled reads")
    if sample_size < 1 or n_samples < 1:
        raise ConfigError(
            f"sample_size and n_samples must be at least 1, got {sample_size} and {n_samples}"
        )
    rng = np.random.default_rng(seed)
    shares = {}
    for label in np.unique(labels):
        hits = calls[labels == label] == called
        drawn = rng.integers(0, len(hits), size=(n_samples, sample_size))
        shares[str(label)] = hits[drawn].mean(axis=1)
    return SampleCalls(called=called, shares=shares, sample_size=sample_size)


@dataclass(frozen=True)
class ReadEndsView:
    """What the Interpret page shows of a two-class read set: the model against the end
    baseline, where its saliency sits, the end composition behind it, and sample calls.

    Attributes
    ----------
    model_accuracy
        The run's accuracy on the explained reads.
    baseline
        The end baseline, scored on the same reads.
    saliency
        :func:`end_saliency` of the run's model on (the first ``max_reads`` of) the reads.
    composition
        :func:`end_composition` of the whole data set.
    samples
        :func:`sample_calls` of the model's calls on the explained reads.
    median_probability
        True class → median probability the model gives the counted class
        (``samples.called``) on the explained reads of that class. A read is called the
        more likely class of the two, i.e. the counted one above 0.5.
    """

    model_accuracy: float
    baseline: EndBaseline
    saliency: EndSaliency
    composition: EndComposition
    samples: SampleCalls
    median_probability: dict[str, float]


def offers_read_ends(run: object, sequences: SequenceSet) -> bool:
    """Whether the read-ends view makes sense for ``run`` on ``sequences``.

    It needs a run of two classes and labelled reads whose ends mean something: the
    ancient-DNA example (whose ``meta`` holds ``damage_rates``) or data read from a file.
    The other built-in examples are sites or generated sequences, not reads.

    Parameters
    ----------
    run
        A trained sequence run.
    sequences
        The loaded sequences.
    """
    reads = "damage_rates" in sequences.meta or sequences.format != "example"
    return len(run.classes) == 2 and sequences.labels is not None and reads


def read_ends_view(
    run: object,
    sequences: SequenceSet,
    rows: Sequence[int],
    *,
    target: int,
    max_reads: int = 5000,
    seed: int = 0,
) -> ReadEndsView:
    """Everything :class:`ReadEndsView` holds for ``run`` on the reads at ``rows``.

    Parameters
    ----------
    run
        A sequence run with two classes.
    sequences
        The loaded, labelled reads.
    rows
        The reads to explain (the run's test set when it was trained on them); the
        baseline is fitted on the others, or on its own split when ``rows`` are all.
    target
        Index of the class whose calls are counted in samples (e.g. ``ancient``).
    max_reads
        At most this many of ``rows`` are attributed (saliency), for speed.
    seed
        Seed of the baseline's own split and of the sample draws.

    Raises
    ------
    ConfigError
        A run without exactly two classes, or unlabelled reads.
    """
    if len(run.classes) != 2 or sequences.labels is None:
        raise ConfigError("the read-ends view compares two labelled classes")
    rows = np.asarray(rows, dtype=np.int64)
    chosen = sequences.subset(rows)
    codes = encode_for_run(run, chosen)
    probabilities = predict_probabilities(run.model, codes)
    calls = np.asarray(run.classes)[probabilities.argmax(axis=1)]
    labels = np.asarray(chosen.labels)
    own_split = len(rows) == sequences.n_obs
    return ReadEndsView(
        model_accuracy=float((calls == labels).mean()),
        baseline=end_baseline(sequences, test_rows=None if own_split else rows, seed=seed),
        saliency=end_saliency(run.model, one_hot(codes[:max_reads])),
        composition=end_composition(sequences),
        samples=sample_calls(calls, labels, called=run.classes[target], seed=seed),
        median_probability={
            str(label): float(np.median(probabilities[labels == label, target]))
            for label in np.unique(labels)
        },
    )

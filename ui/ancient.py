"""The Interpret page's "Read ends" view: a two-class read model against the best rule on the
read ends, where its saliency sits, the end composition behind it, and what samples of many
reads tell (made for the ancient-DNA example, useful for any two classes of reads)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import streamlit as st

from genodash import interpret
from genodash.data import SequenceSet
from genodash.plotting import interpret as plots
from ui.figures import show_figure
from ui.lessons import record_read_ends
from ui.messages import escape_markdown
from ui.state import session_cached

COURSE = """
**What the course says.** Ancient DNA carries deamination damage: C reads as T near the 5′
end and G as A near the 3′ end. A model that tells ancient from modern reads should look at
the read ends.

**What you see.** The damage is a weak signal in one read: most ancient reads have no
damaged base at all. A logistic regression on the {span} end bases of each side is the best
rule one read allows when the reads differ only there (as in the built-in example), so it is
the ceiling — a model that reaches it has learned the damage; one far above it has found
another clue (length, in the example with 'same length' unticked). Many reads together say a
lot: the share of a sample's reads called **{called}** tells the samples apart.
"""

NEAR_HALF = 0.1
"""Medians of the counted class's probability this close to 0.5 make single calls coin flips."""


def read_ends(run: object, dataset: SequenceSet, index: Sequence[int], *, target: int) -> None:
    """Draw the view for ``run`` on the reads of ``dataset`` at ``index``.

    ``target`` is the class whose calls are counted in samples (e.g. ``ancient``).
    """
    called = escape_markdown(run.classes[target])
    with st.spinner("Scoring reads, fitting the end baseline…"):
        view = session_cached(
            "interpret-ends",
            run,
            lambda: interpret.read_ends_view(run, dataset, index, target=target),
            key=(target, len(index), tuple(index[:5]), id(dataset)),
        )
    st.markdown(COURSE.format(span=view.baseline.span, called=called))
    left, middle, right = st.columns(3)
    record_read_ends(view)
    left.metric(
        "This model, one read at a time",
        f"{view.model_accuracy:.1%}",
        help=f"Accuracy on the {len(index):,} reads explained here",
    )
    middle.metric(
        "Ceiling: end-base baseline",
        f"{view.baseline.accuracy:.1%}",
        delta=f"{(view.model_accuracy - view.baseline.accuracy) * 100:+.1f} points for the model",
        delta_color="off",
        help="The best one read allows: a logistic regression on the one-hot of the first "
        f"and last {view.baseline.span} bases, fitted on "
        f"{view.baseline.n_train:,} other reads, scored on {view.baseline.n_test:,}",
    )
    right.metric(
        "Saliency at the ends vs the middle",
        f"{view.saliency.ratio:.1f}×",
        help=f"Mean |saliency| per base in the first and last {view.saliency.ends} bases of "
        f"each read, over the mean per base in the middle, on {view.saliency.n_reads:,} reads",
    )
    composition = view.composition
    show_figure(
        plots.end_composition_figure(composition.t_from_5prime, composition.a_from_3prime),
        key="interpret-ends-composition",
    )
    st.caption(
        "Why the ends: the excess of T at the 5′ end and of A at the 3′ end is the damage. "
        "It fades within about ten bases; beyond, both classes have the same composition."
    )
    profile = view.saliency
    show_figure(
        plots.end_saliency_figure(
            {"this model": profile.from_5prime},
            {"this model": profile.from_3prime},
            ends=profile.ends,
            ratio=profile.ratio,
        ),
        key="interpret-ends-saliency",
    )
    samples = view.samples
    show_figure(
        plots.sample_calls_figure(samples.shares, called=called, sample_size=samples.sample_size),
        key="interpret-ends-samples",
    )
    means = ", ".join(
        f"{escape_markdown(label)} samples {shares.mean():.1%} "
        f"(from {shares.min():.1%} to {shares.max():.1%})"
        for label, shares in samples.shares.items()
    )
    st.caption(
        f"One read says little, many reads say a lot. Share of reads called {called} in "
        f"{len(next(iter(samples.shares.values()))):,} samples of {samples.sample_size:,} "
        f"reads each, drawn (with replacement) from the reads of one class: {means}. "
        f"Samples put on the wrong side of the midpoint: {samples.misassigned():.1%}."
    )
    st.caption(_threshold_note(view.median_probability, samples.shares, called))


def _threshold_note(
    median_probability: dict[str, float], shares: dict[str, np.ndarray], called: str
) -> str:
    """How one read is called, and why the share over many reads is what counts, in the
    view's own numbers."""
    medians = " and ".join(
        f"{p:.1%} for {escape_markdown(label)} reads" for label, p in median_probability.items()
    )
    near_half = all(abs(p - 0.5) < NEAR_HALF for p in median_probability.values())
    signal = (
        "One read carries so little signal that these probabilities stay close to 50 % "
        f"(median {medians}), so each call is close to a coin flip and many reads of both "
        "classes can land on the same side."
        if near_half
        else f"Median probability: {medians}."
    )
    ranked = sorted(shares.items(), key=lambda item: item[1].mean(), reverse=True)
    higher, lower = ranked[0], ranked[-1]
    return (
        f"How one read is called: {called} when the model gives it a probability of {called} "
        f"above 50 %. {signal} What tells samples apart is the share: samples of "
        f"{escape_markdown(higher[0])} reads average {higher[1].mean():.1%} called {called}, "
        f"samples of {escape_markdown(lower[0])} reads {lower[1].mean():.1%}."
    )

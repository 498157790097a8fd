"""The Interpret page's "Filters as motifs" view: each first-layer filter as a logo, its
top k-mers, and its closest known motif in JASPAR with a p-value against shuffled filters."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from genodash import interpret
from genodash.data import SequenceSet
from genodash.errors import GenodashError
from genodash.motifs import (
    DEFAULT_TAXON,
    SIGNIFICANCE_LEVEL,
    TAXA,
    FilterMatch,
    MotifBank,
    jaspar_available,
    jaspar_bank,
    match_filters,
    planted_motif_is_synthetic,
)
from genodash.plotting.files import figure_bytes
from genodash.plotting.logos import logo_figure
from ui.messages import escape_markdown
from ui.state import session_cached

SHUFFLES = 20
MATCHING = f"""
Each filter's closest motif among the {{n:,}} JASPAR CORE motifs of {{taxon}}, by the mean
correlation of aligned columns (r, 1 = identical). With thousands of motifs to choose from, some
motif always fits a short pattern well, so r alone proves nothing: p is the share of shuffled
filters (the columns of the {{shown}} filters shown in a random order, {SHUFFLES} times each,
pooled) whose best match is at least as good. Testing {{shown}} filters at once finds a lucky
match by chance, as the curse-of-dimensionality lab shows, so q adjusts p for their number
(Benjamini–Hochberg); a match counts when q < {SIGNIFICANCE_LEVEL}. Filters are numbered from 1.
"""
SYNTHETIC = (
    "The motif planted in these sequences was made up, not taken from JASPAR: any "
    "resemblance of a filter to a known motif is a coincidence of letters, not biology."
)


def filter_gallery(run: object, dataset: SequenceSet, index: Sequence[int]) -> None:
    """Draw the filters of ``run``'s first convolution, learned from the sequences at
    ``index``, with their closest known motifs."""
    try:
        motifs = session_cached(
            "interpret-filters",
            run,
            lambda: interpret.run_filter_motifs(run, dataset, index),
            key=(len(index), id(dataset)),
        )
    except GenodashError as error:
        st.info(str(error), icon=":material/info:")
        return
    left, right = st.columns(2)
    shown = left.slider(
        "Filters to show (most informative first)",
        4,
        min(48, len(motifs)),
        min(12, len(motifs)),
        4,
        key="interpret-nfilters",
    )
    taxon = right.selectbox(
        "Known motifs of",
        TAXA,
        index=TAXA.index(DEFAULT_TAXON),
        key="interpret-taxon",
        help="JASPAR's taxonomic group to search; vertebrates suit human and mouse data",
    )
    if planted_motif_is_synthetic(dataset.meta):
        st.info(SYNTHETIC, icon=":material/science:")
    bank = _bank(taxon)
    matches = _matches(bank, motifs[:shown])
    logos = session_cached("interpret-logos", motifs, lambda: [_logo(m) for m in motifs[:48]])
    columns = st.columns(3)
    for k, motif in enumerate(motifs[:shown]):
        with columns[k % 3].container(border=True):
            st.image(logos[k], width="stretch")
            kmers = ", ".join(f"{kmer} ({count})" for kmer, count in motif.top_kmers[:3])
            st.caption(f"Top k-mers: {kmers or '—'}")
            if motif.index in matches:
                st.caption(_match_line(matches[motif.index]))
    if bank is None:
        st.caption("Install pyjaspar to name filters after known motifs.")
    else:
        shown_active = sum(1 for m in motifs[:shown] if m.n_sites)
        words = MATCHING.format(n=len(bank.motifs), taxon=_taxon_words(taxon), shown=shown_active)
        st.caption(words)


def _match_line(found: FilterMatch) -> str:
    match = found.match
    words = (
        f"**{escape_markdown(match.name)}** ({match.matrix_id}, r = {match.score:.2f}, "
        f"strand {match.strand}, p = {found.p_value:.3f}, q = {found.q_value:.3f})"
    )
    if found.significant:
        return f"Closest JASPAR motif: {words}"
    return f"No significant JASPAR match (closest: {words})"


def _matches(bank: MotifBank | None, motifs: list[interpret.FilterMotif]) -> dict[int, FilterMatch]:
    active = [m for m in motifs if m.n_sites]
    if bank is None or not active:
        return {}
    with st.spinner("Comparing the filters with known motifs and with shuffled filters…"):
        found = session_cached(
            "interpret-matches",
            bank,
            lambda: match_filters(bank, [m.frequencies for m in active], shuffles=SHUFFLES),
            key=tuple(id(m) for m in active),
        )
    return {m.index: f for m, f in zip(active, found, strict=True)}


def _logo(motif: interpret.FilterMotif) -> bytes:
    return figure_bytes(
        logo_figure(
            motif.frequencies,
            title=f"filter {motif.index + 1} · {motif.information:.1f} bits · "
            f"{motif.n_sites:,} sites",
        ),
        "png",
    )


def _bank(taxon: str) -> MotifBank | None:
    if not jaspar_available():
        return None
    with st.spinner("Loading JASPAR motifs (once per server)…"):
        return jaspar_bank(taxon)


def _taxon_words(taxon: str) -> str:
    return "every taxon" if taxon == "all" else taxon

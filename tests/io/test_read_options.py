"""Reading options from the text boxes a person fills in: blanks, spaces, lists, bad kinds."""

from __future__ import annotations

import pytest

from genodash.errors import ConfigError
from genodash.io import ReadOptions, read_options_from_text


def test_blank_entries_are_the_defaults():
    assert read_options_from_text() == ReadOptions()
    blank = read_options_from_text(sequence_column="  ", label_column=" ", batch_column="")
    assert blank == ReadOptions()


def test_names_are_stripped_and_metadata_split_on_commas():
    options = read_options_from_text(
        kind="matrix",
        sequence_column=" dna ",
        label_column="kind\t",
        batch_column=" donor",
        metadata_columns=" age, , sex ,",
        transpose=True,
    )
    assert options == ReadOptions(
        kind="matrix",
        sequence_column="dna",
        label_column="kind",
        batch_column="donor",
        metadata_columns=("age", "sex"),
        transpose=True,
    )


def test_transpose_passes_through_all_three_answers():
    assert [read_options_from_text(transpose=t).transpose for t in (None, True, False)] == [
        None,
        True,
        False,
    ]


def test_an_unknown_kind_is_refused():
    with pytest.raises(ConfigError, match="kind must be 'auto', 'sequences' or 'matrix'"):
        read_options_from_text(kind="protein")

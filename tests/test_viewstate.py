"""The address encoding of a view: round trip, only non-defaults, notes for what is ignored
or clamped."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest

from genodash.examples import EXAMPLES
from genodash.viewstate import (
    ViewField,
    decode_value,
    decode_view,
    encode_value,
    encode_view,
    example_fields,
    page_url_path,
    view_query,
)

FIELDS = {
    field.key: field
    for field in (
        ViewField("epochs", 30, low=1, high=500),
        ViewField("lr", 0.001, low=1e-5, high=1.0),
        ViewField("model", "cnn", options=("cnn", "lstm", "transformer")),
        ViewField("rc", False),
        ViewField("dims", 2, options=(2, 3)),
        ViewField("models", ("cnn", "lstm"), options=("cnn", "lstm", "transformer")),
        ViewField("label", ""),
        ViewField("val", 0.15, low=0.05, high=0.3),
    )
}
CHANGED = {
    "epochs": 57,
    "lr": 0.0003,
    "model": "transformer",
    "rc": True,
    "dims": 3,
    "models": ("lstm", "transformer"),
    "label": "cell type",
    "val": 0.05 + 0.1,  # a slider's float sum: 0.15000000000000002
}


def test_a_view_round_trips_through_its_address() -> None:
    changed = {key: value for key, value in CHANGED.items() if key != "val"}
    params = dict(parse_qsl(view_query(encode_view(changed, FIELDS))))
    values, notes = decode_view(params, FIELDS)
    assert values == changed
    assert notes == []


def test_only_values_that_differ_from_the_defaults_are_written() -> None:
    defaults = {key: field.default for key, field in FIELDS.items()}
    assert encode_view(defaults, FIELDS) == {}
    assert encode_view({**defaults, "epochs": 31}, FIELDS) == {"epochs": "31"}
    assert encode_view({"val": CHANGED["val"]}, FIELDS) == {}  # 0.15 as the address writes it


def test_values_read_short_and_plain() -> None:
    assert encode_value(True) == "1"
    assert encode_value(0.0003) == "0.0003"
    assert encode_value(1e-5) == "1e-05"
    assert encode_value(("lstm", "cnn")) == "lstm,cnn"
    assert view_query({"data": "planted-motif", "data.n": 500}) == "data=planted-motif&data.n=500"


@pytest.mark.parametrize(
    ("name", "raw", "value", "words"),
    [
        ("epochs", "9999", 500, "largest allowed value, 500"),
        ("epochs", "0", 1, "smallest allowed value, 1"),
        ("lr", "5", 1.0, "largest allowed value, 1"),
    ],
)
def test_a_number_out_of_range_is_clamped_with_a_note(
    name: str, raw: str, value: float, words: str
) -> None:
    values, notes = decode_view({name: raw}, FIELDS)
    assert values == {name: value}
    assert len(notes) == 1 and words in notes[0] and f"{name}={raw}" in notes[0]


@pytest.mark.parametrize(
    ("name", "raw", "words"),
    [
        ("epochs", "ten", "a whole number"),
        ("epochs", "2.5", "a whole number"),
        ("lr", "nan", "a number"),
        ("lr", "inf", "a number"),
        ("model", "resnet", "one of cnn, lstm, transformer"),
        ("rc", "maybe", "yes/no"),
        ("dims", "4", "one of 2, 3"),
    ],
)
def test_a_malformed_value_is_ignored_with_a_note(name: str, raw: str, words: str) -> None:
    values, notes = decode_view({name: raw}, FIELDS)
    assert values == {}
    assert len(notes) == 1 and words in notes[0] and "ignored" in notes[0]


def test_unknown_parameters_are_ignored_with_a_note_but_the_address_own_are_not() -> None:
    params = {"epochz": "3", "ws": "0123456789ab", "presenter": "1", "data.n": "9", "rc": "1"}
    values, notes = decode_view(params, FIELDS)
    assert values == {"rc": True}
    assert notes == [
        "The link's `epochz` is not a setting of this page as it is set up now: ignored."
    ]


def test_a_list_keeps_its_known_choices_and_names_the_others() -> None:
    value, note = decode_value("lstm,gru,transformer", FIELDS["models"])
    assert value == ("lstm", "transformer")
    assert note is not None and "gru" in note
    assert decode_value("", FIELDS["models"]) == ((), None)


def test_page_paths_are_streamlit_urls() -> None:
    assert page_url_path("pages/2_Curse_of_dimensionality.py") == "Curse_of_dimensionality"
    assert page_url_path("pages/10_Gene_selection.py") == "Gene_selection"
    assert page_url_path("app.py") == ""


def test_example_controls_become_data_fields_with_their_bounds() -> None:
    example = next(
        e for e in EXAMPLES.values() if any(isinstance(c.default, int) for c in e.controls)
    )
    fields = example_fields(example.controls)
    number = next(f for f in fields.values() if isinstance(f.default, int) and f.high is not None)
    assert number.key.startswith("data.")
    values, notes = decode_view({number.key: str(int(number.high) + 1)}, fields)
    assert values == {number.key: int(number.high)} and len(notes) == 1

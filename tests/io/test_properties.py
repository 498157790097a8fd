"""Property tests: whatever bytes arrive, readers raise only genodash's typed errors."""

from __future__ import annotations

import contextlib
import gzip

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genodash.errors import GenodashError
from genodash.io import RawFile, read_dataset
from genodash.limits import Limits

LIMITS = Limits(max_file_bytes=1 << 20, max_decompressed_bytes=1 << 20, max_parse_seconds=20)
NAMES = ["x.fa", "x.fq", "x.csv", "x.tsv", "x.txt", "x.h5ad", "x.fa.gz", "x.zip", "x"]
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def read_or_typed_error(name: str, data: bytes) -> None:
    with contextlib.suppress(GenodashError):
        read_dataset(RawFile(name, data), limits=LIMITS)


@SETTINGS
@given(name=st.sampled_from(NAMES), data=st.binary(max_size=400))
def test_arbitrary_bytes_raise_only_typed_errors(name, data):
    read_or_typed_error(name, data)


@SETTINGS
@given(
    name=st.sampled_from(NAMES),
    text=st.text(
        alphabet=st.sampled_from(list("ACGTNUacgt>@+#,;\t\n\r =label0123.-")), max_size=300
    ),
)
def test_text_soup_raises_only_typed_errors(name, text):
    read_or_typed_error(name, text.encode())


@pytest.mark.parametrize(
    "valid",
    [
        "labelled.fa",
        "reads.fq",
        "table.csv",
        "matrix.csv",
        "small.h5ad",
        "tenx.zip",
        "tenx_v3.h5",
        "labelled.fa.gz",
    ],
)
def test_mutated_valid_files_raise_only_typed_errors(data_dir, valid):
    original = (data_dir / valid).read_bytes()

    @SETTINGS
    @given(position=st.integers(0, len(original) - 1), byte=st.integers(0, 255), cut=st.booleans())
    def mutate(position, byte, cut):
        data = (
            original[:position]
            if cut
            else (original[:position] + bytes([byte]) + original[position + 1 :])
        )
        read_or_typed_error(valid, data)

    mutate()


def test_gzip_of_garbage_raises_only_typed_errors():
    read_or_typed_error("x.fa.gz", gzip.compress(bytes(range(256)) * 4))

"""The isolated HDF5 reader: a crash or a hang in the worker fails only that file."""

from __future__ import annotations

import os
import time

import pytest

from genodash.errors import FormatError, LimitError
from genodash.io import read_matrix
from genodash.io._isolated import IsolatedRunner


@pytest.fixture
def runner():
    isolated = IsolatedRunner()
    yield isolated
    isolated._stop()


def test_result_comes_back(runner):
    assert runner.run(sum, [1, 2, 3], file="f", timeout=60) == 6


def test_a_crash_is_a_clear_error_and_the_next_file_works(runner):
    with pytest.raises(FormatError, match="f.h5ad: crashed the reader"):
        runner.run(os.abort, file="f.h5ad", timeout=60)
    assert runner.run(max, [4, 9], file="f", timeout=60) == 9


def test_a_hang_is_stopped_at_the_time_limit(runner):
    started = time.monotonic()
    with pytest.raises(LimitError, match="reading took longer than 1 s and was stopped"):
        runner.run(time.sleep, 30, file="slow.h5ad", timeout=1)
    assert time.monotonic() - started < 20
    assert runner.run(min, [4, 9], file="f", timeout=60) == 4


def test_typed_errors_keep_their_fields_across_the_process(data_dir):
    with pytest.raises(FormatError) as info:
        read_matrix(data_dir / "external_link.h5ad")
    assert info.value.file == "external_link.h5ad"
    assert info.value.where == "'/secret'"

from __future__ import annotations

import numpy as np

from genodash.encoding import N_CODE, PAD_CODE, encode_codes, one_hot


def test_codes_pad_and_trim_by_alignment():
    sequences = ["ACGTN", "AC", "GGGTTTA"]
    assert encode_codes(sequences, 4).tolist() == [[0, 1, 2, 3], [0, 1, 5, 5], [2, 2, 2, 3]]
    assert encode_codes(sequences, 4, align="right").tolist() == [
        [1, 2, 3, 4],
        [5, 5, 0, 1],
        [3, 3, 3, 0],
    ]
    assert encode_codes(sequences, 4, align="center").tolist() == [
        [0, 1, 2, 3],
        [5, 0, 1, 5],
        [2, 2, 3, 3],
    ]


def test_codes_default_length_is_the_longest():
    codes = encode_codes(["A", "ACG"])
    assert codes.shape == (2, 3)
    assert codes[0, 1] == PAD_CODE


def test_one_hot_shape_channels_and_n_as_zero():
    x = one_hot(["ACGTN", "TT"])
    assert x.shape == (2, 4, 5) and x.dtype == np.float32
    assert x[0, :, :4].tolist() == np.eye(4).tolist()
    assert x[0, :, 4].sum() == 0  # N
    assert x[1, :, 2:].sum() == 0  # padding
    assert x[1, 3, :2].tolist() == [1.0, 1.0]


def test_one_hot_matches_a_naive_loop():
    rng = np.random.default_rng(0)
    sequences = ["".join(rng.choice(list("ACGTN"), size=rng.integers(1, 30))) for _ in range(50)]
    fast = one_hot(sequences, 25)
    naive = np.zeros_like(fast)
    for i, s in enumerate(sequences):
        for j, base in enumerate(s[:25]):
            if base in "ACGT":
                naive[i, "ACGT".index(base), j] = 1
    assert np.array_equal(fast, naive)
    assert encode_codes(["N"])[0, 0] == N_CODE

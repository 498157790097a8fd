"""A demo result as the JSON text the page offers for download."""

from __future__ import annotations

import json

from genodash import curse


def test_as_json_is_the_json_ready_dict_indented_with_unicode_kept():
    result = curse.ols_collapse((10, 60), n=50, reps=10, seed=0)
    text = result.as_json()
    assert json.loads(text) == result.as_dict()  # non-finite numbers are null
    assert text == json.dumps(result.as_dict(), indent=1, ensure_ascii=False)
    assert text.startswith('{\n "')


def test_as_json_keeps_non_ascii_text():
    result = curse.data_regimes(n=(100,), p=(20_000,), names=("σ-cells",))
    assert "σ-cells" in result.as_json()

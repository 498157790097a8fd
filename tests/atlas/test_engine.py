"""The dask engine: results in order, progress after each group."""

from __future__ import annotations

from genodash.atlas.engine import Engine


def _square(value: int) -> int:
    return value * value


def test_results_come_in_order_with_progress_to_the_end():
    seen, progress = [], []
    with Engine() as engine:
        engine.map(
            _square, [(n,) for n in range(11)], seen.append, lambda d, t: progress.append((d, t))
        )
        group = 2 * engine.workers
    assert seen == [n * n for n in range(11)]
    assert progress[-1] == (11, 11)
    assert len(progress) == -(-11 // group)
    assert "this machine" in Engine().describe()

"""The examples cache every user shares: a byte budget, least recently used first out, threads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from genodash.data import SequenceSet, dataset_nbytes
from genodash.examples import ExampleCache


def _tiny(name: str = "t") -> SequenceSet:
    return SequenceSet(
        ids=("a", "b"), sequences=("ACGT", "GGCA"), labels=None, name=name, format="example"
    )


def test_shared_example_cache_holds_a_byte_budget():
    made = []

    def make(key):
        def build():
            made.append(key)
            return _tiny(key)

        return build

    cache = ExampleCache(budget=int(2.5 * dataset_nbytes(_tiny())))
    for key in ("a", "a", "b", "c", "a"):
        cache.get(key, make(key))
    assert made == ["a", "b", "c", "a"]  # the second "a" was a hit; the last was dropped
    assert cache.held() <= cache.budget


def test_a_hit_counts_as_a_recent_use():
    made = []
    cache = ExampleCache(budget=int(2.5 * dataset_nbytes(_tiny())))
    for key in ("a", "b", "a", "c", "a"):  # "a" is used again before "c" comes: "b" goes
        cache.get(key, lambda key=key: made.append(key) or _tiny(key))
    assert made == ["a", "b", "c"]


def test_the_newest_example_stays_even_over_the_budget():
    cache = ExampleCache(budget=1)
    first = cache.get("a", _tiny)
    assert cache.get("a", _tiny) is first
    cache.get("b", _tiny)
    assert cache.held() == dataset_nbytes(_tiny())  # only "b" is left


def test_threads_share_one_consistent_cache():
    cache = ExampleCache(budget=3 * dataset_nbytes(_tiny()))
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda i: cache.get(i % 5, lambda: _tiny(str(i % 5))), range(400)))
    assert {dataset.name for dataset in got} == {"0", "1", "2", "3", "4"}
    assert all(dataset.name == str(i % 5) for i, dataset in enumerate(got))
    assert cache.held() <= cache.budget

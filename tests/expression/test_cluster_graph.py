"""The Leiden graph is built from a simple edge list: the graph igraph's simplify() makes."""

from __future__ import annotations

import random

import numpy as np
import pytest

from genodash.expression.cluster import _by_size, leiden_from_edges, simple_edges, simple_graph
from genodash.expression.embed import exact_neighbors


@pytest.fixture(scope="module")
def knn_edges():
    rng = np.random.default_rng(1)
    groups = rng.integers(0, 5, 2000)
    X = (rng.normal(size=(2000, 8)) + 3.0 * groups[:, None]).astype(np.float32)
    indices, _ = exact_neighbors(X, 10)
    edges = np.column_stack([np.repeat(np.arange(2000), 10), indices.ravel()])
    edges[7] = [3, 3]  # a loop, as a duplicated cell can give
    return edges


def _simplified_by_igraph(n_cells, edges):
    import igraph

    graph = igraph.Graph(n=n_cells, edges=edges, directed=False)
    graph.simplify()
    return graph


def test_the_simple_edge_list_is_the_graph_igraph_simplify_makes(knn_edges):
    import igraph

    expected = _simplified_by_igraph(2000, knn_edges).get_edgelist()
    simple = simple_edges(2000, knn_edges)
    assert simple.dtype == np.int64
    assert igraph.Graph(n=2000, edges=simple).get_edgelist() == expected
    assert len(simple) < len(knn_edges)  # mutual neighbours and the loop gave one edge or none


def test_the_graph_read_from_the_edge_list_is_the_simplified_one(knn_edges, tmp_path):
    expected = _simplified_by_igraph(2000, knn_edges)
    graph = simple_graph(2000, knn_edges, folder=tmp_path)
    assert graph.vcount() == 2000
    assert not graph.is_directed()
    assert graph.get_edgelist() == expected.get_edgelist()
    assert list(tmp_path.iterdir()) == []  # the edge list is removed


@pytest.mark.parametrize(
    ("n_cells", "edges", "expected"),
    [
        (12, [[0, 3], [3, 0], [5, 5]], [(0, 3)]),  # cells 6 to 11 have no edge
        (1_000_001, [[999_999, 1_000_000], [7, 10]], [(7, 10), (999_999, 1_000_000)]),
        (5, np.empty((0, 2), dtype=np.int64), []),
    ],
)
def test_every_cell_is_a_vertex_and_numbers_keep_their_digits(n_cells, edges, expected):
    graph = simple_graph(n_cells, np.asarray(edges, dtype=np.int64))
    assert (graph.vcount(), graph.get_edgelist()) == (n_cells, expected)


def test_simple_edges_of_no_edges_is_empty():
    assert simple_edges(5, np.empty((0, 2), dtype=np.int64)).shape == (0, 2)


@pytest.mark.parametrize(("resolution", "seed"), [(1.0, 0), (0.5, 3)])
def test_leiden_clusters_are_those_of_the_simplified_graph(knn_edges, resolution, seed):
    import igraph

    graph = _simplified_by_igraph(2000, knn_edges)
    previous = random.getstate()
    igraph.set_random_number_generator(random.Random(seed))
    try:
        partition = graph.community_leiden(
            objective_function="modularity", resolution=resolution, n_iterations=2
        )
    finally:
        igraph.set_random_number_generator(random)
        random.setstate(previous)
    expected = _by_size(np.asarray(partition.membership))
    found = leiden_from_edges(2000, knn_edges, resolution, seed)
    assert np.array_equal(found, expected)
    assert len(set(found)) >= 5

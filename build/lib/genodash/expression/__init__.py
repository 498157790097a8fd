"""Single-cell expression analysis: preprocessing, embeddings, scores, clusters, exports.

- :mod:`~genodash.expression.preprocess`: QC metrics, cell/gene filters, normalization,
  log1p, highly variable genes and scaling, each step recorded.
- :mod:`~genodash.expression.embed`: PCA, t-SNE (openTSNE) and UMAP coordinates.
- :mod:`~genodash.expression.scores`: how well an embedding keeps labels, neighbourhoods
  and batches.
- :mod:`~genodash.expression.cluster`: Leiden clusters and the top genes of a selection.
- :mod:`~genodash.expression.export`: tables, ``.h5ad`` files and static figures to download.

Heavy libraries (scanpy, openTSNE, umap) are imported inside the functions that need them.
"""

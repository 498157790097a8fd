"""The out-of-core single-cell pipeline for atlas-size matrices and its result files."""

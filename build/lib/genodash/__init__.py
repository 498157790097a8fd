"""genodash: deep learning for genomics, as a teaching library and dashboard.

The package never imports streamlit; the app in ``app.py`` and ``pages/`` sits on top.
"""

from __future__ import annotations

import os

# libgomp busy-waits by default: on a shared 2-core machine that slows torch, sklearn and
# openTSNE 10-50x whenever another process uses a core. Must be set before they load.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from genodash.errors import GenodashError

__version__ = "0.1.0"
__all__ = ["GenodashError", "__version__", "import_heavy_libraries"]


def import_heavy_libraries() -> None:
    """Import scanpy, scikit-learn and torch now, so that the first page that needs them
    does not wait. Call it from the thread that draws pages: importing scikit-learn or torch
    from a background thread while a page imports them too can fail on their circular
    imports."""
    import scanpy  # noqa: F401
    import sklearn.model_selection  # noqa: F401
    import torch  # noqa: F401

"""The Streamlit layer shared by every page: ``import ui`` and call ``ui.page(...)`` etc.

Nothing here computes results: it holds widgets and session state and calls into
``genodash``. The names pages use are re-exported from the modules that own them.
"""

from ui import lessons
from ui.address import add_note
from ui.expression import (
    processed_caption,
    processed_matrix,
    processed_or_error,
    scanpy_defaults_expander,
    set_processed,
)
from ui.frame import (
    PAGES,
    dataset_caption,
    device_info,
    page,
    require_matrix,
    require_sequences,
    upload_limit_mb,
)
from ui.jobs import (
    job_results,
    prepared_for_training,
    start_training,
    train_button,
    train_one_model,
)
from ui.messages import escape_markdown, notes_markdown, show_error
from ui.results import (
    headline_metrics,
    layers_expander,
    runs_dataframe,
    show_expression_run,
    show_scores,
    show_sequence_run,
    show_table,
)
from ui.state import (
    cached_example,
    current_dataset,
    outcome_once,
    read_only,
    session_cached,
    session_memo,
    set_dataset,
    setting,
    workspace_dir,
)
from ui.widgets import (
    config_widgets,
    control_widget,
    device_choice,
    download,
    embedding_settings,
    figure_downloads,
    method_choice,
    optional_column,
    run_selector,
    training_settings,
)

__all__ = [
    "PAGES",
    "add_note",
    "cached_example",
    "config_widgets",
    "control_widget",
    "current_dataset",
    "dataset_caption",
    "device_choice",
    "device_info",
    "download",
    "embedding_settings",
    "escape_markdown",
    "figure_downloads",
    "headline_metrics",
    "job_results",
    "layers_expander",
    "lessons",
    "method_choice",
    "notes_markdown",
    "optional_column",
    "outcome_once",
    "page",
    "prepared_for_training",
    "processed_caption",
    "processed_matrix",
    "processed_or_error",
    "read_only",
    "require_matrix",
    "require_sequences",
    "run_selector",
    "runs_dataframe",
    "scanpy_defaults_expander",
    "session_cached",
    "session_memo",
    "set_dataset",
    "set_processed",
    "setting",
    "show_error",
    "show_expression_run",
    "show_scores",
    "show_sequence_run",
    "show_table",
    "start_training",
    "train_button",
    "train_one_model",
    "training_settings",
    "upload_limit_mb",
    "workspace_dir",
]

"""Input widgets: settings from a model's config, training settings, the device picker, the
run picker, an optional-column picker, embedding settings and download buttons."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import Field
from typing import Any

import streamlit as st

from genodash.viewstate import ViewField
from ui import address
from ui.messages import escape_markdown
from ui.state import setting

NO_COLUMN = "(none)"


def control_widget(control: Field[Any], *, key: str, in_address: bool = True) -> Any:
    """A widget for a settings field (see :func:`genodash.settings.param`): number, slider,
    checkbox, choice or text, as its default and metadata say.

    Its value is kept across page visits and, unless not ``in_address``, lives in the
    page's address (see :func:`ui.state.setting`).
    """
    meta, default, options = control.metadata, control.default, control.metadata.get("options")
    label, tip = meta.get("label", control.name), meta.get("help") or None
    if options:
        from genodash.settings import option_title

        return st.selectbox(
            label,
            options,
            format_func=option_title,
            help=tip,
            key=setting(key, default, options, in_address=in_address),
        )
    if isinstance(default, bool):
        return st.checkbox(label, help=tip, key=setting(key, default, in_address=in_address))
    if isinstance(default, int):
        number, widget, step = int, st.number_input, int(meta.get("step") or 1)
    elif isinstance(default, float) and meta["max"] - meta["min"] > 1000:
        number, widget, step = float, st.number_input, None  # too wide a range for a slider
    elif isinstance(default, float):
        number, widget, step = float, st.slider, float(meta.get("step") or 0.01)
    else:
        return st.text_input(label, help=tip, key=setting(key, str(default), in_address=in_address))
    low, high = number(meta["min"]), number(meta["max"])
    value = widget(
        label,
        low,
        high,
        step=step,
        help=tip,
        key=setting(key, default, low=low, high=high, in_address=in_address),
    )
    return number(value)


def config_widgets(
    spec: Any,
    *,
    key: str,
    exclude: tuple[str, ...] = (),
    unavailable: dict[str, str] | None = None,
    depends_on: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Widgets for a model's settings (from its config dataclass fields).

    Fields named in ``unavailable`` (field → reason) are drawn greyed out, switched off
    (False, or the field's default), with the reason as their help; that is their value.
    A field in ``depends_on`` (field → an earlier yes/no field) is greyed out the same way
    while that field is off.
    """
    values: dict[str, Any] = {}
    fields = [f for f in spec.fields() if f.name not in exclude]
    labels = {f.name: f.metadata.get("label", f.name) for f in fields}
    columns = st.columns(3)
    for i, field in enumerate(fields):
        controller = (depends_on or {}).get(field.name)
        if field.name in (unavailable or {}):
            why = f"Not available for this data: {unavailable[field.name]}"
        elif controller is not None and not values.get(controller, True):
            why = f"Used only when '{labels[controller]}' is on"
        else:
            why = None
        with columns[i % 3]:
            if why is not None:
                values[field.name] = _unavailable_widget(field, why, key=f"{key}-{field.name}")
            else:
                values[field.name] = control_widget(field, key=f"{key}-{field.name}")
    return values


def _unavailable_widget(field: Any, help_text: str, *, key: str) -> Any:
    """A greyed-out widget showing a setting that cannot apply here, and its off value."""
    label = field.metadata.get("label", field.name)
    if isinstance(field.default, bool):
        st.checkbox(label, value=False, disabled=True, help=help_text, key=f"{key}-off")
        return False
    shown = "" if field.default is None else f"{field.default:g}"
    st.text_input(label, value=shown, disabled=True, help=help_text, key=f"{key}-off")
    return field.default


def training_settings(prefix: str, base: Any) -> tuple[Any, str]:
    """Widgets for epochs, batch size, learning rate, patience, seed and device, starting
    from ``base`` (a TrainConfig); returns the chosen TrainConfig and device."""
    from dataclasses import replace

    columns = st.columns(3)
    epochs = columns[0].number_input(
        "Epochs (at most)", 1, 500, key=setting(f"{prefix}-epochs", base.epochs, low=1, high=500)
    )
    batch = columns[1].number_input(
        "Batch size", 8, 4096, key=setting(f"{prefix}-batch", base.batch_size, low=8, high=4096)
    )
    rate = columns[2].number_input(
        "Learning rate",
        1e-5,
        1.0,
        format="%.4f",
        key=setting(f"{prefix}-lr", base.learning_rate, low=1e-5, high=1.0),
    )
    patience = columns[0].number_input(
        "Early-stopping patience (epochs)",
        0,
        100,
        key=setting(f"{prefix}-patience", base.patience, low=0, high=100),
        help="0 turns early stopping off",
    )
    seed = columns[1].number_input(
        "Training seed",
        0,
        10_000,
        key=setting(f"{prefix}-seed", base.seed, low=0, high=10_000),
        help="Same seed, data and settings: same model (on the CPU)",
    )
    with columns[2]:
        device = device_choice(key=f"{prefix}-device")
    config = replace(
        base,
        epochs=int(epochs),
        batch_size=int(batch),
        learning_rate=float(rate),
        patience=int(patience),
        seed=int(seed),
    )
    return config, device


def device_choice(*, key: str) -> str:
    """A device picker: 'auto' plus the devices this machine has."""
    from genodash.device import DEVICE_TITLES, available_devices, resolve_device

    options = ["auto", *available_devices()]
    choice = st.selectbox(
        "Device",
        options,
        format_func=lambda name: "automatic" if name == "auto" else DEVICE_TITLES[name],
        key=setting(key, "auto", options),
        help="automatic picks a CUDA GPU, then an Apple GPU (MPS), then the CPU",
    )
    st.caption(f"Trains on {DEVICE_TITLES[resolve_device(choice)]}")
    return choice


def focus_run(selector_key: str, name: str) -> None:
    """Make the run ``name`` the one :func:`run_selector` (``selector_key``) shows next."""
    st.session_state[selector_key] = name


def run_selector(label: str, runs: Sequence[Any], *, key: str, describe: Any = None) -> Any:
    """A picker of one run by its title; returns the chosen listing.

    The choice is kept under ``key`` across pages. The widget is keyed by the titles too, so
    a renamed run shows its new name (a widget keeps the labels it was first drawn with).
    """
    import hashlib

    titles = {run.name: describe(run) if describe else run.title for run in runs}
    names = list(titles)
    linked = address.linked_text(key)
    if linked is not None and linked not in names:
        address.add_note(
            f"The run **{escape_markdown(linked)}** the link names is not in this workspace "
            "(a run belongs to the workspace that trained it; its owner's read-only link "
            "shows it): the newest run is shown."
        )
    chosen = linked if linked in names else st.session_state.get(key)
    digest = hashlib.sha256("\n".join(titles.values()).encode()).hexdigest()[:10]
    name = st.selectbox(
        label,
        names,
        index=names.index(chosen) if chosen in names else 0,
        format_func=titles.get,
        key=f"{key}-{digest}",
    )
    st.session_state[key] = name
    address.write_value(ViewField(key, names[0]), name)
    return next(run for run in runs if run.name == name)


def method_choice(label: str, key: str, default: str, *, menu: bool = False) -> str | None:
    """A choice of embedding method (PCA, t-SNE, UMAP): buttons, or a menu if ``menu``."""
    from genodash.expression.embed import METHOD_TITLES

    methods = list(METHOD_TITLES)
    widget = st.selectbox if menu else st.segmented_control
    return widget(label, methods, format_func=METHOD_TITLES.get, key=setting(key, default, methods))


def embedding_settings(prefix: str, method: str, unit: str = "cells") -> Any:
    """Widgets for an embedding's dimensions, seed and the method's own settings, in a row;
    returns the chosen EmbeddingConfig (``unit`` names what is embedded, in help texts)."""
    from genodash.expression.embed import EmbeddingConfig

    columns = st.columns(5)
    dims = columns[0].segmented_control(
        "Dimensions", [2, 3], key=setting(f"{prefix}-dims", 2, [2, 3])
    )
    seed = columns[1].number_input(
        "Seed", 0, 10_000, key=setting(f"{prefix}-seed", 0, low=0, high=10_000)
    )
    config = EmbeddingConfig(method=method, n_components=int(dims or 2), seed=int(seed))
    if method == "tsne":
        return _tsne_settings(config, columns, prefix, unit)
    if method == "umap":
        return _umap_settings(config, columns, prefix)
    return config


def _tsne_settings(config: Any, columns: Sequence[Any], prefix: str, unit: str) -> Any:
    """The perplexity slider, in the third column."""
    from dataclasses import replace

    perplexity = columns[2].slider(
        "Perplexity",
        5.0,
        100.0,
        step=1.0,
        format="%.0f",
        key=setting(f"{prefix}-perplexity", 30.0, low=5.0, high=100.0),
        help=f"Roughly how many neighbours each {unit.removesuffix('s')} tries to keep close",
    )
    return replace(config, perplexity=perplexity)


def _umap_settings(config: Any, columns: Sequence[Any], prefix: str) -> Any:
    """Neighbours, minimum distance and layout, in the third to fifth columns."""
    from dataclasses import fields, replace

    from genodash.expression.embed import UMAP_LAYOUTS
    from genodash.settings import option_title

    neighbours = columns[2].slider(
        "Neighbours", 2, 200, key=setting(f"{prefix}-neighbours", 15, low=2, high=200)
    )
    min_dist = columns[3].slider(
        "Minimum distance",
        0.0,
        1.0,
        step=0.05,
        key=setting(f"{prefix}-min-dist", 0.5, low=0.0, high=1.0),
    )
    layout_help = next(f for f in fields(config) if f.name == "umap_layout").metadata["help"]
    layout = columns[4].selectbox(
        "Layout",
        UMAP_LAYOUTS,
        format_func=option_title,
        key=setting(f"{prefix}-layout", "auto", list(UMAP_LAYOUTS)),
        help=layout_help,
    )
    return replace(
        config, n_neighbors=int(neighbours), min_dist=float(min_dist), umap_layout=layout
    )


def optional_column(where: Any, label: str, columns: Sequence[str], key: str, default: Any) -> Any:
    """A picker of one of ``columns`` or "(none)" in ``where`` (``st`` or a column), starting
    at ``default`` where it is one of them; returns the column, or None for none."""
    options = [NO_COLUMN, *columns]
    start = default if default in options else NO_COLUMN
    chosen = where.selectbox(label, options, key=setting(key, start, options))
    return None if chosen == NO_COLUMN else chosen


def download(where: Any, label: str, data: Any, file_name: str, key: str, **extra: Any) -> None:
    """A download button in ``where`` (``st`` or a column) that leaves the page as it is.

    ``data`` may be a function, called on click; a label starting with "Figure" gets an
    image icon. ``extra`` goes to ``download_button`` (``help``, ``mime``…).
    """
    icon = ":material/image:" if label.startswith("Figure") else ":material/download:"
    where.download_button(
        label, data, file_name=file_name, on_click="ignore", icon=icon, key=key, **extra
    )


def figure_downloads(columns: Sequence[Any], figure: Any, stem: str, *, key: str) -> None:
    """Buttons for a figure as PNG, SVG and HTML (``stem``.png…), one per column, each file
    made on click."""
    from genodash.plotting.files import figure_bytes

    for column, fmt in zip(columns, ("png", "svg", "html"), strict=True):
        made_on_click = lambda fmt=fmt: figure_bytes(figure, fmt)  # noqa: E731
        download(column, f"Figure ({fmt.upper()})", made_on_click, f"{stem}.{fmt}", f"{key}-{fmt}")


@contextmanager
def progress_bar(doing: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar saying ``doing`` with the share done and the time left; yields the
    report to call with (done, total), and goes when the work ends (its outcome, data or a
    message, replaces it).

    Parameters
    ----------
    doing
        What is being done, as Markdown (escape any user text in it).
    """
    from genodash.train.callbacks import progress_text

    bar = st.progress(0.0, text=f"{doing}…")
    started = time.perf_counter()

    def report(done: int, total: int) -> None:
        text = progress_text(done, total, time.perf_counter() - started)
        bar.progress(done / total if total else 1.0, text=f"{doing}: {text}")

    try:
        yield report
    finally:
        bar.empty()

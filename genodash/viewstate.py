"""A page's view in its address: its settings as short, readable query parameters.

A link such as ``/Train_a_model?data=splice-sites&train-model=lstm&train-epochs=50`` opens
the same view on any machine: the page's settings by their keys, only those that differ
from the defaults. Reading an address never fails: a parameter the page does not know, a
value that is not of the setting's kind or not one of its choices is ignored, and a number
out of the setting's range is clamped — each with a note saying so, for the page to show.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

DATA = "data"  # the example (or where the data came from): ``data=planted-motif``
DATA_PARAM = "data."  # an example's parameter: ``data.n=500``
# parameters of the address that are not a page's settings
RESERVED = frozenset({DATA, "ws", "view", "presenter", "hide", "lesson"})
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")
_LIST_SEPARATOR = ","


@dataclass(frozen=True)
class ViewField:
    """One setting of a view: its key in the address, default, choices or range.

    ``options``: the allowed values (a list-valued setting takes several of them);
    ``low``/``high``: the range of a number. The default's type is the setting's kind.
    """

    key: str
    default: Any
    options: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None

    @classmethod
    def of_settings_field(cls, key: str, field: Any) -> ViewField:
        """The view field of a settings dataclass field made by :func:`genodash.settings.param`.

        Parameters
        ----------
        key
            The key in the address.
        field
            A ``dataclasses.Field`` whose metadata may hold ``min``, ``max`` and ``options``.
        """
        meta = field.metadata
        options = tuple(meta["options"]) if meta.get("options") else None
        return cls(key, field.default, options, meta.get("min"), meta.get("max"))


def encode_value(value: Any) -> str:
    """The text of ``value`` in an address: ``1``/``0`` for yes/no, the shortest exact
    text of a number, comma-separated items for a list.

    Parameters
    ----------
    value
        A bool, number, text or a list/tuple of those.
    """
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return format(value, ".12g")
    if isinstance(value, list | tuple):
        return _LIST_SEPARATOR.join(encode_value(item) for item in value)
    return str(value)


def decode_value(raw: str, field: ViewField) -> tuple[Any, str | None]:
    """The value ``raw`` stands for in ``field``, and a note when it was changed or refused.

    Parameters
    ----------
    raw
        The parameter's text in the address.
    field
        The setting it is for.

    Returns
    -------
    tuple
        ``(value, note)``: ``value`` is None when ``raw`` cannot be used (the note says why
        and that the page's own value stays); a number out of range comes back clamped.
    """
    default = field.default
    if isinstance(default, list | tuple):
        return _decode_list(raw, field)
    if field.options is not None:
        return _decode_choice(raw, field)
    if isinstance(default, bool):
        return _decode_bool(raw, field)
    if isinstance(default, int | float):
        return _decode_number(raw, field)
    return raw, None


def encode_view(values: Mapping[str, Any], fields: Mapping[str, ViewField]) -> dict[str, str]:
    """The address parameters of ``values``: only those that differ from their default.

    Parameters
    ----------
    values
        Each setting's current value, by key.
    fields
        The settings, by key; a value without a field is left out.
    """
    encoded = {}
    for key, value in values.items():
        field = fields.get(key)
        if field is not None and not is_default(value, field):
            encoded[key] = encode_value(value)
    return encoded


def decode_view(
    params: Mapping[str, str], fields: Mapping[str, ViewField]
) -> tuple[dict[str, Any], list[str]]:
    """The settings an address gives, and a note for each parameter ignored or changed.

    Parameters
    ----------
    params
        The address's parameters (name → text).
    fields
        The page's settings by key. Parameters in :data:`RESERVED` (or an example's
        ``data.…``) are not settings and are passed over without a note.

    Returns
    -------
    tuple
        ``(values, notes)``.
    """
    values: dict[str, Any] = {}
    notes = [unknown_note(name) for name in unknown_params(params, fields)]
    for name, raw in params.items():
        if name in fields:
            value, note = decode_value(raw, fields[name])
            if value is not None:
                values[name] = value
            if note:
                notes.append(note)
    return values, notes


def unknown_params(params: Iterable[str], known: Iterable[str]) -> list[str]:
    """The names in ``params`` that are neither in ``known`` nor the address's own.

    Parameters
    ----------
    params
        Parameter names of an address.
    known
        The settings the page has.
    """
    known = set(known)
    return [
        name
        for name in params
        if name not in known and name not in RESERVED and not name.startswith(DATA_PARAM)
    ]


def unknown_note(name: str) -> str:
    """The note for a parameter the page does not have.

    Parameters
    ----------
    name
        The parameter's name.
    """
    return f"The link's `{name}` is not a setting of this page as it is set up now: ignored."


def is_default(value: Any, field: ViewField) -> bool:
    """Whether ``value`` is ``field``'s default (numbers compared as the address writes them).

    Parameters
    ----------
    value
        A setting's value.
    field
        The setting.
    """
    return encode_value(value) == encode_value(field.default)


def view_query(settings: Mapping[str, Any]) -> str:
    """The query string (``k=v&…``, URL-encoded) that sets ``settings`` up.

    Parameters
    ----------
    settings
        Values by setting key (or :data:`DATA` and ``data.…`` for an example).
    """
    return urlencode({key: encode_value(value) for key, value in settings.items()})


def page_url_path(page_file: str) -> str:
    """The address path Streamlit gives a page file: ``pages/2_Curse_of_dimensionality.py``
    → ``Curse_of_dimensionality``; the main script (``app.py``) → ``""``.

    Parameters
    ----------
    page_file
        The page's file, relative to the app's folder.
    """
    if "/" not in page_file:
        return ""
    stem = page_file.rsplit("/", 1)[1].removesuffix(".py")
    number, _, rest = stem.partition("_")
    return rest if number.isdigit() and rest else stem


def example_fields(controls: Sequence[Any]) -> dict[str, ViewField]:
    """The view fields of an example's controls, keyed ``data.<name>``.

    Parameters
    ----------
    controls
        The example's settings fields (see :class:`genodash.examples.Example`).
    """
    return {
        DATA_PARAM + control.name: ViewField.of_settings_field(DATA_PARAM + control.name, control)
        for control in controls
    }


# --- one kind each ----------------------------------------------------------------------------


def _decode_bool(raw: str, field: ViewField) -> tuple[Any, str | None]:
    text = raw.strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE, None
    return None, _refused(field, raw, "yes/no (1 or 0)")


def _decode_number(raw: str, field: ViewField) -> tuple[Any, str | None]:
    whole = isinstance(field.default, int)
    try:
        number = float(raw)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or (whole and not number.is_integer()):
        return None, _refused(field, raw, "a whole number" if whole else "a number")
    value: int | float = int(number) if whole else number
    low = -math.inf if field.low is None else field.low
    high = math.inf if field.high is None else field.high
    clamped = min(max(value, low), high)
    if clamped == value:
        return value, None
    clamped = int(clamped) if whole else float(clamped)
    side = "smallest" if clamped > value else "largest"
    return clamped, (
        f"The link's `{field.key}={raw}` is out of range: the {side} allowed value, "
        f"{encode_value(clamped)}, is used."
    )


def _decode_choice(raw: str, field: ViewField) -> tuple[Any, str | None]:
    for option in field.options or ():
        if encode_value(option) == raw:
            return option, None
    choices = ", ".join(encode_value(option) for option in field.options or ())
    return None, _refused(field, raw, f"one of {choices}")


def _decode_list(raw: str, field: ViewField) -> tuple[Any, str | None]:
    items = [item for item in raw.split(_LIST_SEPARATOR) if item] if raw else []
    if field.options is None:
        return type(field.default)(items), None
    by_text = {encode_value(option): option for option in field.options}
    chosen = [by_text[item] for item in items if item in by_text]
    unknown = [item for item in items if item not in by_text]
    note = None
    if unknown:
        note = (
            f"The link's `{field.key}` names {', '.join(unknown)}, not among the choices "
            f"({', '.join(by_text)}): left out."
        )
    return type(field.default)(chosen), note


def _refused(field: ViewField, raw: str, wanted: str) -> str:
    return (
        f"The link's `{field.key}={raw}` is not {wanted}: ignored, the page's own value "
        f"({encode_value(field.default)} by default) is used."
    )

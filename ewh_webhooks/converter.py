"""The one place that knows JSON shapes: every answer becomes a model here.

- The shapes the API sends every time are read directly (`shapes.py`); anything
  else goes through the cattrs converter (`cattrs_converter.py`, imported on first
  need), which is also `converter` here.
- Unknown fields are tolerated (and kept on `Webhook.raw`).
- Strings are strict: `null` or a number where a string belongs is an error, not "None".
- A webhook without `group`/`action` (absent or null) but with a `topic` the server
  formatted its own way (`order.shipped`, `order/shipped`...) is understood from it.
- `WebhookUpdate` unstructures without its unset (None) fields: PATCH sends only what was given.
- Anything that does not fit raises `ResponseValidationError`, never a bare
  KeyError/TypeError, naming the item and the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import ResponseValidationError
from .models import Page, RawPage, Tokens, Webhook, WebhookCreate, WebhookUpdate
from .redaction import redact_json
from .shapes import (
    fast_tokens,
    fast_webhook,
    id_label,
    item_label,
    raw_page,
    unstructure_create,
    unstructure_update,
)

if TYPE_CHECKING:
    import cattrs

__all__ = [
    "converter",
    "structure",
    "structure_items",
    "structure_page",
    "structure_raw_page",
    "structure_webhook",
    "unstructure",
]

T = TypeVar("T")


def __getattr__(name: str) -> Any:
    # `converter` is the cattrs converter, built when first asked for.
    if name == "converter":
        from .cattrs_converter import converter

        return converter
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if TYPE_CHECKING:
    converter: cattrs.Converter


def _does_not_fit(what: str, cls: type, data: Any, exc: BaseException) -> ResponseValidationError:
    if isinstance(exc, TypeError | ValueError | OverflowError):
        details = str(exc)
    else:  # one of cattrs' validation errors: each problem with its path
        from .cattrs_converter import error_details

        details = error_details(exc, what)
    return ResponseValidationError(
        f"{what} does not fit {cls.__name__}: {details}", body=redact_json(data)
    )


def structure(data: Any, cls: type[T], *, what: str) -> T:
    """Structure `data` into `cls`, or raise `ResponseValidationError` saying where."""
    if cls is Tokens and type(data) is dict:
        tokens = fast_tokens(data)
        if tokens is not None:
            return tokens  # type: ignore[return-value]
    from .cattrs_converter import MISFITS, converter

    try:
        return converter.structure(data, cls)
    except MISFITS as exc:
        raise _does_not_fit(what, cls, data, exc) from exc


def structure_webhook(data: Any, *, what: str) -> Webhook:
    if type(data) is dict:  # the common case, without cattrs
        hook = fast_webhook(data)
        if hook is not None:
            return hook
    item_id = data.get("id") if isinstance(data, Mapping) else None
    if isinstance(item_id, str):
        what = f"{what} {id_label(item_id)}"
    return structure(data, Webhook, what=what)


def structure_raw_page(data: Any, *, what: str) -> RawPage:
    try:
        return raw_page(data)
    except (TypeError, ValueError, OverflowError) as exc:
        raise _does_not_fit(what, RawPage, data, exc) from exc


def structure_page(data: Any, *, what: str) -> Page:
    raw = structure_raw_page(data, what=what)
    try:
        results = _structure_items(raw.items)
    except ValueError as exc:
        raise _does_not_fit(what, Page, data, exc) from exc
    return Page(results=results, count=raw.count, next=raw.next, previous=raw.previous)


def _structure_items(items: list[Any]) -> tuple[Webhook, ...]:
    hooks = []
    for index, item in enumerate(items):
        hook = fast_webhook(item) if type(item) is dict else None
        if hook is None:
            hook = _unusual_item(index, item)
        hooks.append(hook)
    return tuple(hooks)


def _unusual_item(index: int, item: Any) -> Webhook:
    from .cattrs_converter import webhook_or_error

    try:
        return webhook_or_error(item)
    except ValueError as exc:
        raise ValueError(f"{item_label(index, item)}: {exc}") from exc


def structure_items(items: list[Any], *, what: str) -> tuple[Webhook, ...]:
    """The webhooks of a `RawPage`, or `ResponseValidationError` naming the bad item."""
    try:
        return _structure_items(items)
    except ValueError as exc:
        raise ResponseValidationError(
            f"{what} does not fit Webhook: {exc}", body=redact_json(items)
        ) from exc


def unstructure(obj: Any) -> Any:
    """The JSON of a model: request bodies directly, anything else through cattrs."""
    if type(obj) is WebhookCreate:
        return unstructure_create(obj)
    if type(obj) is WebhookUpdate:
        return unstructure_update(obj)
    from .cattrs_converter import converter

    return converter.unstructure(obj)

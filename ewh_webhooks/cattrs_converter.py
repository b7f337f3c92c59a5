"""The cattrs converter for every model: what `converter.py` falls back on when an
answer does not have the common shape (`shapes.py`), and what the receiver uses for
events. Imported on first need, so a program that only sends the usual requests
never pays for importing cattrs.

- Unknown fields are tolerated (and kept on `Webhook.raw`).
- Strings are strict: `null` or a number where a string belongs is an error.
- Anything that does not fit raises a cattrs error naming the field, which
  `converter.py` turns into `ResponseValidationError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from .models import Page, RawPage, Tokens, Webhook, WebhookCreate, WebhookUpdate
from .shapes import (
    fast_webhook,
    item_label,
    parse_datetime,
    raw_page,
    set_raw,
    strict_float,
    strict_int,
    strict_str,
    with_topic_parts,
)

__all__ = ["MISFITS", "converter", "error_details", "webhook_or_error"]

converter = cattrs.Converter()

converter.register_structure_hook(str, strict_str)
converter.register_structure_hook(int, strict_int)
converter.register_structure_hook(float, strict_float)
converter.register_structure_hook(datetime, parse_datetime)
converter.register_unstructure_hook(datetime, datetime.isoformat)

webhook_fields = make_dict_structure_fn(Webhook, converter, raw=override(omit=True))


def _structure_webhook(data: Any, _: type) -> Webhook:
    if type(data) is dict:
        hook = fast_webhook(data)
        if hook is not None:
            return hook
    elif not isinstance(data, Mapping):
        raise TypeError(f"expected a JSON object, got {type(data).__name__}")
    hook = webhook_fields(with_topic_parts(data), Webhook)
    # Webhook is frozen; `raw` is filled here, once, so it is never a copy to keep in sync.
    set_raw(hook, data)
    return hook


def webhook_or_error(item: Any) -> Webhook:
    """One listed item through the detailed path: the webhook, or ValueError saying
    which fields do not fit."""
    try:
        return _structure_webhook(item, Webhook)
    except cattrs.BaseValidationError as exc:
        raise ValueError("; ".join(cattrs.transform_error(exc))) from exc
    except (TypeError, ValueError) as exc:
        raise ValueError(str(exc)) from exc


# What structuring raises on data that does not fit: cattrs' validation errors (which
# name the fields), and the plain errors of a hook or a generated function.
MISFITS: tuple[type[Exception], ...] = (
    cattrs.BaseValidationError,
    TypeError,
    ValueError,
    KeyError,
    AttributeError,
    OverflowError,
)


def error_details(exc: BaseException, path: str) -> str:
    """cattrs' account of a validation error, each problem with its path."""
    if isinstance(exc, cattrs.BaseValidationError):
        return "; ".join(cattrs.transform_error(exc, path=path))
    return str(exc)


def _structure_page(data: Any, _: type) -> Page:
    raw = raw_page(data)
    results = []
    for index, item in enumerate(raw.items):
        try:
            results.append(webhook_or_error(item))
        except ValueError as exc:
            raise ValueError(f"{item_label(index, item)}: {exc}") from exc
    return Page(results=tuple(results), count=raw.count, next=raw.next, previous=raw.previous)


converter.register_structure_hook(Webhook, _structure_webhook)
converter.register_structure_hook(Page, _structure_page)
converter.register_structure_hook(RawPage, lambda data, _: raw_page(data))
converter.register_structure_hook(
    Tokens, make_dict_structure_fn(Tokens, converter, _cattrs_forbid_extra_keys=False)
)
converter.register_unstructure_hook(
    Webhook, make_dict_unstructure_fn(Webhook, converter, _cattrs_include_init_false=True)
)
converter.register_unstructure_hook(
    WebhookCreate, make_dict_unstructure_fn(WebhookCreate, converter)
)
converter.register_unstructure_hook(
    WebhookUpdate,
    make_dict_unstructure_fn(WebhookUpdate, converter, _cattrs_omit_if_default=True),
)

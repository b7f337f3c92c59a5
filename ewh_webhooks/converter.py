"""The one place that knows JSON shapes: a cattrs converter for every model.

- Unknown fields are tolerated (and kept on `Webhook.raw`).
- Strings are strict: `null` or a number where a string belongs is an error, not "None".
- `WebhookUpdate` unstructures without its unset (None) fields: PATCH sends only what was given.
- Anything that does not fit raises `ResponseValidationError`, never a bare
  KeyError/TypeError.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from .errors import ResponseValidationError
from .models import Page, RawPage, Tokens, Webhook, WebhookCreate, WebhookUpdate

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

converter = cattrs.Converter()


def _strict_str(value: Any, _: type) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _strict_int(value: Any, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    return value


def _strict_float(value: Any, _: type) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    return float(value)


def _datetime(value: Any, _: type) -> datetime:
    if not isinstance(value, str):
        raise TypeError(f"expected an ISO 8601 string, got {type(value).__name__}")
    return datetime.fromisoformat(value)


converter.register_structure_hook(str, _strict_str)
converter.register_structure_hook(int, _strict_int)
converter.register_structure_hook(float, _strict_float)
converter.register_structure_hook(datetime, _datetime)
converter.register_unstructure_hook(datetime, datetime.isoformat)

_webhook_fields = make_dict_structure_fn(Webhook, converter, raw=override(omit=True))


def _fast_webhook(data: Mapping[str, Any]) -> Webhook | None:
    """The common case, built directly: every field present with the right JSON type.

    Streaming a listing structures thousands of webhooks; cattrs' generated function
    with detailed validation costs several times the JSON parsing. Anything unusual
    returns None and takes the cattrs path, which gives the precise error messages.
    """
    try:
        id_, url, group, action = data["id"], data["url"], data["group"], data["action"]
    except KeyError:
        return None
    if not (type(id_) is str and type(url) is str and type(group) is str and type(action) is str):
        return None
    get = data.get
    topic, customer, secret = get("topic"), get("customer"), get("hash_secret")
    for value in (topic, customer, secret):
        if value is not None and type(value) is not str:
            return None
    created, modified = get("created_at"), get("modified_at")
    try:
        created_at = None if created is None else datetime.fromisoformat(created)
        modified_at = None if modified is None else datetime.fromisoformat(modified)
    except (TypeError, ValueError):
        return None
    return Webhook(
        id=id_,
        url=url,
        group=group,
        action=action,
        topic=topic if topic is not None else f"{group}.{action}",
        customer=customer,
        hash_secret=secret,
        created_at=created_at,
        modified_at=modified_at,
        raw=data,
    )


def _structure_webhook(data: Any, _: type) -> Webhook:
    if not isinstance(data, Mapping):
        raise TypeError(f"expected a JSON object, got {type(data).__name__}")
    hook = _fast_webhook(data)
    if hook is not None:
        return hook
    hook = _webhook_fields(data, Webhook)
    # Webhook is frozen; `raw` is filled here, once, so it is never a copy to keep in sync.
    object.__setattr__(hook, "raw", data)
    return hook


def _structure_raw_page(data: Any, _: type) -> RawPage:
    if not isinstance(data, Mapping):
        raise TypeError(f"expected a JSON object, got {type(data).__name__}")
    results = data.get("results")
    if not isinstance(results, list):
        raise TypeError("'results' must be a list")
    count = data.get("count")
    return RawPage(
        items=results,
        count=None if count is None else _strict_int(count, int),
        next=_optional_str(data.get("next")),
        previous=_optional_str(data.get("previous")),
        has_next_key="next" in data,
    )


def _structure_items(items: list[Any]) -> tuple[Webhook, ...]:
    hooks = []
    for index, item in enumerate(items):
        try:
            hooks.append(_structure_webhook(item, Webhook))
        except cattrs.BaseValidationError as exc:
            raise ValueError(f"results[{index}]: {'; '.join(cattrs.transform_error(exc))}") from exc
        except (TypeError, ValueError) as exc:
            raise ValueError(f"results[{index}]: {exc}") from exc
    return tuple(hooks)


def _structure_page(data: Any, _: type) -> Page:
    raw = _structure_raw_page(data, RawPage)
    return Page(
        results=_structure_items(raw.items),
        count=raw.count,
        next=raw.next,
        previous=raw.previous,
    )


def _optional_str(value: Any) -> str | None:
    # An empty link means "no link" in every paginated API we have seen.
    return None if value is None or value == "" else _strict_str(value, str)


converter.register_structure_hook(Webhook, _structure_webhook)
converter.register_structure_hook(Page, _structure_page)
converter.register_structure_hook(RawPage, _structure_raw_page)
converter.register_structure_hook(
    Tokens, make_dict_structure_fn(Tokens, converter, _cattrs_forbid_extra_keys=False)
)
converter.register_unstructure_hook(
    WebhookCreate, make_dict_unstructure_fn(WebhookCreate, converter)
)
converter.register_unstructure_hook(
    WebhookUpdate,
    make_dict_unstructure_fn(WebhookUpdate, converter, _cattrs_omit_if_default=True),
)


def structure(data: Any, cls: type[T], *, what: str) -> T:
    """Structure `data` into `cls`, or raise `ResponseValidationError` saying where."""
    try:
        return converter.structure(data, cls)
    except cattrs.BaseValidationError as exc:
        details = "; ".join(cattrs.transform_error(exc, path=what))
        raise ResponseValidationError(
            f"{what} does not fit {cls.__name__}: {details}", body=data
        ) from exc
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise ResponseValidationError(
            f"{what} does not fit {cls.__name__}: {exc}", body=data
        ) from exc


def structure_webhook(data: Any, *, what: str) -> Webhook:
    return structure(data, Webhook, what=what)


def structure_page(data: Any, *, what: str) -> Page:
    return structure(data, Page, what=what)


def structure_raw_page(data: Any, *, what: str) -> RawPage:
    return structure(data, RawPage, what=what)


def structure_items(items: list[Any], *, what: str) -> tuple[Webhook, ...]:
    """The webhooks of a `RawPage`, or `ResponseValidationError` naming the bad item."""
    try:
        return _structure_items(items)
    except ValueError as exc:
        raise ResponseValidationError(f"{what} does not fit Webhook: {exc}", body=items) from exc


def unstructure(obj: Any) -> Any:
    return converter.unstructure(obj)

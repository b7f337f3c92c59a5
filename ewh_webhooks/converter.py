"""The one place that knows JSON shapes: a cattrs converter for every model.

- Unknown fields are tolerated (and kept on `Webhook.raw`).
- Strings are strict: `null` or a number where a string belongs is an error, not "None".
- A webhook without `group`/`action` but with a `topic` the server formatted its own
  way (`order.shipped`, `order/shipped`...) is understood from the topic.
- `WebhookUpdate` unstructures without its unset (None) fields: PATCH sends only what was given.
- Anything that does not fit raises `ResponseValidationError`, never a bare
  KeyError/TypeError, naming the item and the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from .errors import ResponseValidationError
from .models import Page, RawPage, Tokens, Webhook, WebhookCreate, WebhookUpdate
from .redaction import redact_json
from .topics import parse_topic, topic_of

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

# Fields set directly through their slots: a frozen class refuses setattr, and
# building thousands of webhooks per second through __init__ costs twice as much.
_NEW = object.__new__
_SLOT = {field.name: Webhook.__dict__[field.name].__set__ for field in attrs.fields(Webhook)}
(
    _set_id,
    _set_url,
    _set_group,
    _set_action,
    _set_customer,
    _set_secret,
    _set_created,
    _set_modified,
    _set_raw,
    _set_topic,
) = (
    _SLOT[name]
    for name in (
        "id",
        "url",
        "group",
        "action",
        "customer",
        "hash_secret",
        "created_at",
        "modified_at",
        "raw",
        "topic",
    )
)


def _fast_webhook(data: dict[str, Any]) -> Webhook | None:
    """The common case, built directly: every field present with the right JSON type.

    Streaming a listing structures thousands of webhooks; cattrs' generated function
    with detailed validation costs several times the JSON parsing. Anything unusual
    returns None and takes the cattrs path, which gives the precise error messages.
    Both paths build equal objects (a test compares them on generated inputs).
    """
    get = data.get
    id_, url, group, action = get("id"), get("url"), get("group"), get("action")
    if not (type(id_) is str and type(url) is str and type(group) is str and type(action) is str):
        return None
    customer, secret = get("customer"), get("hash_secret")
    if (customer is not None and type(customer) is not str) or (
        secret is not None and type(secret) is not str
    ):
        return None
    created, modified = get("created_at"), get("modified_at")
    try:
        created_at = None if created is None else datetime.fromisoformat(created)
        modified_at = None if modified is None else datetime.fromisoformat(modified)
    except (TypeError, ValueError):
        return None
    hook: Webhook = _NEW(Webhook)
    _set_id(hook, id_)
    _set_url(hook, url)
    _set_group(hook, group)
    _set_action(hook, action)
    _set_customer(hook, customer)
    _set_secret(hook, secret)
    _set_created(hook, created_at)
    _set_modified(hook, modified_at)
    _set_raw(hook, data)
    _set_topic(hook, topic_of(group, action))
    return hook


def _with_topic_parts(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """Fill a missing group/action from the server's `topic`, when it has one."""
    if "group" in data and "action" in data:
        return data
    parts = parse_topic(data.get("topic"))
    if parts is None:
        return data
    filled = dict(data)
    filled.setdefault("group", parts[0])
    filled.setdefault("action", parts[1])
    return filled


def _structure_webhook(data: Any, _: type) -> Webhook:
    if type(data) is dict:
        hook = _fast_webhook(data)
        if hook is not None:
            return hook
    elif not isinstance(data, Mapping):
        raise TypeError(f"expected a JSON object, got {type(data).__name__}")
    hook = _webhook_fields(_with_topic_parts(data), Webhook)
    # Webhook is frozen; `raw` is filled here, once, so it is never a copy to keep in sync.
    _set_raw(hook, data)
    return hook


def _structure_raw_page(data: Any, _: type) -> RawPage:
    if not isinstance(data, Mapping):
        raise TypeError(f"expected a JSON object, got {type(data).__name__}")
    results = data.get("results")
    if not isinstance(results, list):
        raise TypeError("'results' must be a list")
    count = data.get("count")
    if count is not None:
        count = _strict_int(count, int)
        if count < 0:
            raise ValueError(f"'count' must not be negative, got {count}")
    return RawPage(
        items=results,
        count=count,
        next=_optional_str(data.get("next")),
        previous=_optional_str(data.get("previous")),
        has_next_key="next" in data,
    )


def _item_label(index: int, item: Any) -> str:
    item_id = item.get("id") if isinstance(item, Mapping) else None
    return f"results[{index}] (id {item_id!r})" if isinstance(item_id, str) else f"results[{index}]"


def _structure_items(items: list[Any]) -> tuple[Webhook, ...]:
    hooks = []
    for index, item in enumerate(items):
        try:
            hooks.append(_structure_webhook(item, Webhook))
        except cattrs.BaseValidationError as exc:
            details = "; ".join(cattrs.transform_error(exc))
            raise ValueError(f"{_item_label(index, item)}: {details}") from exc
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{_item_label(index, item)}: {exc}") from exc
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
    Webhook, make_dict_unstructure_fn(Webhook, converter, _cattrs_include_init_false=True)
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
            f"{what} does not fit {cls.__name__}: {details}", body=redact_json(data)
        ) from exc
    except (TypeError, ValueError, KeyError, AttributeError, OverflowError) as exc:
        raise ResponseValidationError(
            f"{what} does not fit {cls.__name__}: {exc}", body=redact_json(data)
        ) from exc


def structure_webhook(data: Any, *, what: str) -> Webhook:
    if type(data) is dict:  # the common case, without cattrs' dispatch
        hook = _fast_webhook(data)
        if hook is not None:
            return hook
    item_id = data.get("id") if isinstance(data, Mapping) else None
    if isinstance(item_id, str):
        what = f"{what} (id {item_id!r})"
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
        raise ResponseValidationError(
            f"{what} does not fit Webhook: {exc}", body=redact_json(items)
        ) from exc


def unstructure(obj: Any) -> Any:
    return converter.unstructure(obj)

"""The JSON shapes the API sends every time, read and written directly: no cattrs.

A login, a listing, a `get()`, a create or an update take only these paths, so a
program that uses the client never imports cattrs unless an answer is unusual.
Anything that does not fit the common shape exactly returns None here, and
`converter.py` hands it to the cattrs converter, which gives the precise errors.
Both paths build equal objects (tests compare them on generated inputs).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from .models import RawPage, Tokens, Webhook, WebhookCreate, WebhookUpdate
from .topics import parse_topic, topic_of

__all__ = [
    "fast_tokens",
    "fast_webhook",
    "id_label",
    "item_label",
    "parse_datetime",
    "raw_page",
    "set_raw",
    "strict_float",
    "strict_int",
    "strict_str",
    "unstructure_create",
    "unstructure_update",
    "with_topic_parts",
]


def strict_str(value: Any, _: type = str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def strict_int(value: Any, _: type = int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    return value


def strict_float(value: Any, _: type = float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    return float(value)


def parse_datetime(value: Any, _: type = datetime) -> datetime:
    if not isinstance(value, str):
        raise TypeError(f"expected an ISO 8601 string, got {type(value).__name__}")
    return datetime.fromisoformat(value)


def with_topic_parts(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """Fill a missing (absent or null) group/action from the server's `topic`, when it
    has one: an optional field may come as `null` as well as not at all."""
    group, action = data.get("group"), data.get("action")
    if group is not None and action is not None:
        return data
    parts = parse_topic(data.get("topic"))
    if parts is None:
        return data
    filled = dict(data)
    if group is None:
        filled["group"] = parts[0]
    if action is None:
        filled["action"] = parts[1]
    return filled


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
    set_raw,
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


def fast_webhook(data: dict[str, Any]) -> Webhook | None:
    """The common case, built directly: every field present with the right JSON type.

    Streaming a listing structures thousands of webhooks; cattrs' generated function
    with detailed validation costs several times the JSON parsing. Anything unusual
    returns None and takes the cattrs path, which gives the precise error messages.
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
    set_raw(hook, data)
    _set_topic(hook, topic_of(group, action))
    return hook


def _number_or_none(value: Any) -> bool:
    return value is None or type(value) is float or type(value) is int


def fast_tokens(data: dict[str, Any]) -> Tokens | None:
    """A login or refresh answer of the documented shape (other keys ignored)."""
    get = data.get
    token, refresh, exp, iat = get("token"), get("refresh_token"), get("exp"), get("iat")
    if type(token) is not str or not (refresh is None or type(refresh) is str):
        return None
    if not (_number_or_none(exp) and _number_or_none(iat)):
        return None
    try:
        return Tokens(
            token=token,
            refresh_token=refresh,
            exp=None if exp is None else float(exp),
            iat=None if iat is None else float(iat),
        )
    except OverflowError:  # an integer beyond any float: the cattrs path names it
        return None


def raw_page(data: Any) -> RawPage:
    """One page of a listing, its items left as dicts (TypeError/ValueError if it is
    not a page)."""
    if not isinstance(data, Mapping):
        raise TypeError(f"expected a JSON object, got {type(data).__name__}")
    results = data.get("results")
    if not isinstance(results, list):
        raise TypeError("'results' must be a list")
    count = data.get("count")
    if count is not None:
        count = strict_int(count)
        if count < 0:
            raise ValueError(f"'count' must not be negative, got {count}")
    return RawPage(
        items=results,
        count=count,
        next=_optional_str(data.get("next")),
        previous=_optional_str(data.get("previous")),
        has_next_key="next" in data,
    )


def item_label(index: int, item: Any) -> str:
    """How an error names a listed item: its index, and its id when it has one."""
    item_id = item.get("id") if isinstance(item, Mapping) else None
    return (
        f"results[{index}] {id_label(item_id)}" if isinstance(item_id, str) else f"results[{index}]"
    )


def id_label(item_id: str) -> str:
    """`(id '...')` for an error message, a server's absurdly long id cut short."""
    return f"(id {item_id if len(item_id) <= 80 else item_id[:80] + '...'!r})"


def _optional_str(value: Any) -> str | None:
    # An empty link means "no link" in every paginated API we have seen.
    return None if value is None or value == "" else strict_str(value)


def unstructure_create(body: WebhookCreate) -> dict[str, Any]:
    """The JSON of `POST /webhooks/`: every field."""
    return {
        "url": body.url,
        "group": body.group,
        "action": body.action,
        "hash_secret": body.hash_secret,
    }


def unstructure_update(body: WebhookUpdate) -> dict[str, Any]:
    """The JSON of `PATCH /webhooks/{id}/`: only the fields that are set."""
    fields = (
        ("url", body.url),
        ("group", body.group),
        ("action", body.action),
        ("hash_secret", body.hash_secret),
    )
    return {name: value for name, value in fields if value is not None}

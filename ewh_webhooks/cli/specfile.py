"""Reading a sync file (TOML): which webhooks each customer should have.

# webhooks.toml: secrets come from the environment, never from the file
validate_topic = false             # optional: accept topics newer than this release
                                   # (the same as `sync --no-validate-topic`)
allow_credentials = true           # optional: accept URLs with user:password@
                                   # (the same as `sync --allow-credentials`)
[[webhooks]]                       # for --customer (or EWH_CUSTOMER_CODE)
url = "https://example.com/hooks/orders"
topic = "order.shipped"            # or: group = "order", action = "shipped"
hash_secret = "${ORDER_HOOK_SECRET}"

[customers.OTHER]                  # per customer
webhooks = [
  { url = "https://example.com/hooks/stock", topic = "stock.updated",
    hash_secret_env = "STOCK_HOOK_SECRET" },
]
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InvalidArgumentError
from ..models import WebhookSpec
from .files import read_text

__all__ = ["MAX_SPEC_FILE_BYTES", "SpecFile", "load_spec_file", "parse_spec_document"]

# About 30,000 webhooks, far past any real file; tomllib parses it in half a second.
MAX_SPEC_FILE_BYTES = 4 * 1024 * 1024


# Top-level settings of a sync file and their defaults (each also a `sync` flag).
SETTINGS = {"validate_topic": True, "allow_credentials": False}


@dataclass(frozen=True, slots=True)
class SpecFile:
    """A parsed sync file: the specs of each customer, and the file's check settings."""

    customers: dict[str, list[WebhookSpec]]
    validate_topic: bool = True
    allow_credentials: bool = False


_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _expand(value: str, env: Mapping[str, str], where: str) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in env:
            raise InvalidArgumentError(f"{where}: environment variable {name} is not set")
        return env[name]

    return _VAR.sub(replace, value)


def _spec(entry: Any, env: Mapping[str, str], where: str) -> WebhookSpec:
    if not isinstance(entry, Mapping):
        raise InvalidArgumentError(f"{where}: expected a table with url, topic and secret")
    unknown = set(entry) - {"url", "topic", "group", "action", "hash_secret", "hash_secret_env"}
    if unknown:
        raise InvalidArgumentError(f"{where}: unknown keys {sorted(unknown)}")
    url = entry.get("url")
    if not isinstance(url, str):
        raise InvalidArgumentError(f"{where}: url is required")
    if "topic" in entry:
        topic = entry["topic"]
        if not isinstance(topic, str) or topic.count(".") != 1:
            raise InvalidArgumentError(f"{where}: topic must look like 'order.shipped'")
        group, action = topic.split(".")
    else:
        if not isinstance(entry.get("group"), str) or not isinstance(entry.get("action"), str):
            raise InvalidArgumentError(f"{where}: give topic, or group and action")
        group, action = entry["group"], entry["action"]
    if "hash_secret_env" in entry:
        name = entry["hash_secret_env"]
        if not isinstance(name, str) or name not in env:
            raise InvalidArgumentError(f"{where}: environment variable {name} is not set")
        secret = env[name]
    elif isinstance(entry.get("hash_secret"), str):
        secret = _expand(entry["hash_secret"], env, where)
    else:
        raise InvalidArgumentError(f"{where}: hash_secret or hash_secret_env is required")
    return WebhookSpec(url=_expand(url, env, where), group=group, action=action, hash_secret=secret)


def _spec_list(value: Any, env: Mapping[str, str], where: str) -> list[WebhookSpec]:
    if not isinstance(value, list):
        raise InvalidArgumentError(f"{where} must be an array of tables")
    return [_spec(entry, env, f"{where}[{i}]") for i, entry in enumerate(value)]


def parse_spec_document(
    document: Mapping[str, Any], *, default_customer: str | None, env: Mapping[str, str]
) -> SpecFile:
    """The specs of each customer, from a parsed TOML document."""
    unknown = set(document) - {"webhooks", "customers", *SETTINGS}
    if unknown:
        raise InvalidArgumentError(f"unknown top-level keys {sorted(unknown)}")
    settings = {key: document.get(key, default) for key, default in SETTINGS.items()}
    for key, value in settings.items():
        if not isinstance(value, bool):
            raise InvalidArgumentError(f"{key} must be true or false")
    result: dict[str, list[WebhookSpec]] = {}
    if "webhooks" in document:
        if not default_customer:
            raise InvalidArgumentError(
                "top-level webhooks need a customer: pass --customer or set EWH_CUSTOMER_CODE"
            )
        result[default_customer] = _spec_list(document["webhooks"], env, "webhooks")
    customers = document.get("customers", {})
    if not isinstance(customers, Mapping):
        raise InvalidArgumentError("customers must be a table of customer codes")
    for code, table in customers.items():
        if not code.strip():
            raise InvalidArgumentError("customers: a customer code must not be empty")
        if not isinstance(table, Mapping) or "webhooks" not in table:
            raise InvalidArgumentError(f"customers.{code} needs a webhooks array")
        if code in result:
            raise InvalidArgumentError(f"customer {code} is listed twice")
        result[code] = _spec_list(table["webhooks"], env, f"customers.{code}.webhooks")
    if not result:
        raise InvalidArgumentError("the file lists no webhooks")
    return SpecFile(customers=result, **settings)


def parse_toml(text: str, *, name: str) -> dict[str, Any]:
    """`tomllib.loads` with every failure as our error: bad syntax, nesting deeper than
    the interpreter's recursion limit, an integer longer than Python converts."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidArgumentError(f"{name} is not valid TOML: {exc}") from None
    except RecursionError:
        raise InvalidArgumentError(f"{name} is not valid TOML: nested too deeply") from None
    except ValueError as exc:  # e.g. int(): "Exceeds the limit (4300 digits)..."
        reason = str(exc).split(":")[0]
        raise InvalidArgumentError(f"{name} is not valid TOML: {reason}") from None


def load_spec_file(
    path: str | Path, *, default_customer: str | None, env: Mapping[str, str] | None = None
) -> SpecFile:
    """Read, parse and check a sync file; every problem is an `InvalidArgumentError`."""
    document = parse_toml(read_text(path, limit=MAX_SPEC_FILE_BYTES), name=str(path))
    return parse_spec_document(
        document, default_customer=default_customer, env=os.environ if env is None else env
    )

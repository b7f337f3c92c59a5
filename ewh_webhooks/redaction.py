"""Keeping secrets out of what we show: URLs with credentials, JSON bodies with
secret fields, and text that quotes them. Used wherever a body or a URL reaches a
repr, a log line or an error message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = [
    "REDACTED",
    "SECRET_KEYS",
    "redact_json",
    "redact_text",
    "redact_url",
    "scrub",
    "secret_values",
]

REDACTED = "***"
# Field names whose values are secrets, in the API's bodies and in webhook URLs'
# query strings (users put tokens there).
SECRET_KEYS = frozenset(
    {
        "access_token",
        "api_key",
        "apikey",
        "auth",
        "authorization",
        "hash_secret",
        "key",
        "password",
        "refresh_token",
        "secret",
        "signature",
        "sig",
        "token",
    }
)
# `"token": "abc"`, `token=abc`, `password: abc` in free text (an HTML or plain error page).
_KEYS = "|".join(sorted((re.escape(k) for k in SECRET_KEYS), key=len, reverse=True))
_TEXT_SECRET = re.compile(
    r"""(?P<key>["']?(?:""" + _KEYS + r""")["']?\s*[:=]\s*)"""
    r"""(?P<value>"[^"]*"|'[^']*'|[^\s,;&"'<>}]+)""",
    re.IGNORECASE,
)
_MAX_DEPTH = 32
# What `redact_json` keeps of a body: enough to read it, never a copy of a huge one.
MAX_NODES = 1000
MAX_STRING = 1000
_CUT = "..."


def _is_secret_key(key: object) -> bool:
    return isinstance(key, str) and key.lower() in SECRET_KEYS


# `scheme://user:password@` anywhere in a string: what a lenient (WHATWG) URL parser
# would read as credentials even where urlsplit sees none (`https:////:pw@host`).
_USERINFO = re.compile(r"(//[^/?#@\s]*?):[^/?#@\s]*@")


def redact_url(url: str) -> str:
    """`https://alice:pw@host/h?token=t` -> `https://alice:***@host/h?token=***`.

    A URL that cannot be parsed is shown as a placeholder rather than risk a leak.
    """
    if "@" not in url and "?" not in url:
        return url  # the common case: nothing to hide
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "<unparseable URL>"
    netloc = parts.netloc
    if parts.username is not None or parts.password is not None:
        if ":" in host:
            host = f"[{host}]"
        if port is not None:
            host += f":{port}"
        user = parts.username or ""
        netloc = f"{user}:{REDACTED}@{host}" if parts.password is not None else f"{REDACTED}@{host}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(_is_secret_key(k) for k, _ in pairs):
            query = urlencode(
                [(k, REDACTED if _is_secret_key(k) else v) for k, v in pairs], safe="*"
            )
    shown = urlunsplit(parts._replace(netloc=netloc, query=query))
    # Whatever urlsplit made of it, no `user:password@` is left for another parser.
    return _USERINFO.sub(rf"\1:{REDACTED}@", shown) if "@" in shown else shown


def redact_json(value: Any, *, secrets: Sequence[str] = ()) -> Any:
    """A copy of a parsed JSON value fit to keep on an error: secret fields replaced,
    URLs and `key=value` secrets in strings masked, `secrets` (values the caller
    knows, e.g. the password it just sent) masked wherever they appear, and its size
    bounded (at most `MAX_NODES` values, strings cut at `MAX_STRING` characters,
    nesting at 32), so a hostile body costs the same little time and memory as a
    small one."""
    return _redact(value, 0, [MAX_NODES], _worth_scrubbing(secrets))


def secret_values(body: Any, *also: str | None) -> list[str]:
    """The values of a request body's secret fields (`password`, `hash_secret`,
    `refresh_token`...) and `also` (the bearer token): what a server might echo back
    in an error."""
    found = [value for value in also if value]
    if isinstance(body, Mapping):
        found += [v for k, v in body.items() if _is_secret_key(k) and isinstance(v, str)]
    return found


def scrub(text: str, secrets: Sequence[str]) -> str:
    """`text` with every known secret value replaced by `***`."""
    for secret in _worth_scrubbing(secrets):
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def _worth_scrubbing(secrets: Sequence[str]) -> list[str]:
    # Longest first (one may contain another); a value of one to three characters
    # would mask ordinary words, and says little about a secret anyway.
    return sorted((s for s in secrets if len(s) >= 4), key=len, reverse=True)


def _redact(value: Any, depth: int, left: list[int], secrets: list[str]) -> Any:
    if depth > _MAX_DEPTH or left[0] <= 0:
        return _CUT
    left[0] -= 1
    if isinstance(value, Mapping):
        out: dict[Any, Any] = {}
        for key, item in value.items():
            if left[0] <= 0:
                out[_CUT] = f"{len(value) - len(out)} more"
                break
            out[key] = REDACTED if _is_secret_key(key) else _redact(item, depth + 1, left, secrets)
        return out
    if isinstance(value, list):
        items: list[Any] = []
        for item in value:
            if left[0] <= 0:
                items.append(f"{_CUT} {len(value) - len(items)} more")
                break
            items.append(_redact(item, depth + 1, left, secrets))
        return items
    if isinstance(value, str):
        text = value if len(value) <= MAX_STRING else value[:MAX_STRING] + _CUT
        if "://" in text:
            text = redact_url(text)
        text = _mask_secret_pairs(text)
        for secret in secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text
    return value


def _mask_secret_pairs(text: str) -> str:
    return _TEXT_SECRET.sub(lambda m: m.group("key") + REDACTED, text)


def redact_text(text: str) -> str:
    """Mask `key: value` / `key=value` pairs of secret keys, and URL credentials, in text."""
    text = _mask_secret_pairs(text)
    if "://" in text and "@" in text:
        text = re.sub(r"(\w+://)[^/\s@]*@", rf"\1{REDACTED}@", text)
    return text

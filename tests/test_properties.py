"""Property-based tests (Hypothesis) for the parsers and decisions: whatever a server
or a caller sends, they answer with a value or one of our errors, within bounds."""

from __future__ import annotations

import contextlib
import json
import math
import time
import types
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ewh_webhooks import APIError, EWHError, ResponseValidationError, RetryPolicy
from ewh_webhooks.converter import (
    converter,
    structure,
    structure_items,
    structure_raw_page,
    structure_webhook,
    unstructure,
)
from ewh_webhooks.error_bodies import error_from_response
from ewh_webhooks.models import RawPage, Tokens, Webhook, WebhookCreate, WebhookUpdate
from ewh_webhooks.pagination import PageRef, next_page, same_origin
from ewh_webhooks.redaction import redact_text, redact_url
from ewh_webhooks.retry import RETRY_STATUSES, decide_retry, parse_retry_after
from ewh_webhooks.sansio import Response, decode_json

BASE = "https://api.test"
FAST = settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)

text = st.text(max_size=40)
json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text
timestamps = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.isoformat())

json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=20,
)
# Bodies a server might really send: JSON of any shape, including the right keys.
json_bodies = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"results": st.lists(json_values, max_size=4)},
        optional={"count": json_values, "next": json_values},
    ),
    st.fixed_dictionaries(
        {"token": json_values}, optional={"exp": json_values, "iat": json_values}
    ),
).map(lambda value: json.dumps(value).encode())

webhook_objects = st.fixed_dictionaries(
    {"id": text, "url": text, "group": text, "action": text},
    optional={
        "customer": st.none() | text,
        "hash_secret": st.none() | text,
        "topic": st.none() | text,
        "created_at": st.none() | timestamps,
        "modified_at": st.none() | timestamps,
        "extra": json_scalars,
    },
)
# Any field may be missing or of any JSON type: what a misbehaving server sends.
anything_objects = st.dictionaries(
    st.sampled_from(
        ["id", "url", "group", "action", "topic", "customer", "hash_secret", "created_at"]
    ),
    json_scalars | timestamps | st.lists(json_scalars, max_size=2),
    max_size=8,
)


def _by_cattrs(data: dict[str, Any]) -> Webhook:
    # A mapping that is not a dict skips the fast path and takes cattrs' generated one.
    return converter.structure(types.MappingProxyType(data), Webhook)


@FAST
@given(webhook_objects)
def test_the_fast_path_and_the_cattrs_path_build_equal_webhooks(data: dict[str, Any]) -> None:
    fast = structure_webhook(data, what="t")
    slow = _by_cattrs(data)
    assert fast == slow
    assert (fast.topic, fast.modified_at, fast.created_at) == (
        slow.topic,
        slow.modified_at,
        slow.created_at,
    )
    assert fast.raw is data


@FAST
@given(anything_objects)
def test_both_paths_accept_and_reject_the_same_objects(data: dict[str, Any]) -> None:
    try:
        fast: Webhook | None = structure_webhook(data, what="t")
    except ResponseValidationError:
        fast = None
    try:
        slow: Webhook | None = _by_cattrs(data)
    except Exception:  # cattrs' own errors: what `structure` wraps
        slow = None
    assert (fast is None) == (slow is None)
    if fast is not None:
        assert fast == slow


token_objects = st.dictionaries(
    st.sampled_from(["token", "refresh_token", "exp", "iat", "other"]),
    json_scalars | st.integers(min_value=10**308, max_value=10**310),
    max_size=5,
)


@FAST
@given(token_objects)
def test_login_answers_read_directly_and_by_cattrs_agree(data: dict[str, Any]) -> None:
    try:
        fast: Tokens | None = structure(data, Tokens, what="t")
    except ResponseValidationError:
        fast = None
    try:
        slow: Tokens | None = converter.structure(types.MappingProxyType(data), Tokens)
    except Exception:  # cattrs' own errors: what `structure` wraps
        slow = None
    assert (fast is None) == (slow is None)
    if fast is not None:
        assert slow is not None
        assert (fast.token, fast.refresh_token, fast.exp, fast.iat) == (
            slow.token,
            slow.refresh_token,
            slow.exp,
            slow.iat,
        )


optional_text = st.none() | text


@FAST
@given(
    create=st.builds(WebhookCreate, url=text, group=text, action=text, hash_secret=text),
    update=st.builds(
        WebhookUpdate,
        url=optional_text,
        group=optional_text,
        action=optional_text,
        hash_secret=optional_text,
    ),
)
def test_request_bodies_written_directly_equal_cattrs(
    create: WebhookCreate, update: WebhookUpdate
) -> None:
    assert unstructure(create) == converter.unstructure(create)
    assert unstructure(update) == converter.unstructure(update)


@FAST
@given(st.text(max_size=60))
def test_retry_after_parses_to_a_finite_wait_or_nothing(value: str) -> None:
    seconds = parse_retry_after(value, now=time.time())
    assert seconds is None or (math.isfinite(seconds) and seconds >= 0)


@FAST
@given(
    method=st.sampled_from(["GET", "POST", "PATCH", "DELETE"]),
    status=st.none() | st.integers(100, 599),
    retries=st.integers(0, 10),
    elapsed=st.floats(0, 1e6),
    retry_after=st.none() | st.floats(0, 1e9),
    rand=st.floats(0, 1, exclude_max=True),
    sent=st.booleans(),
)
def test_retry_decisions_are_bounded(
    method: str,
    status: int | None,
    retries: int,
    elapsed: float,
    retry_after: float | None,
    rand: float,
    sent: bool,
) -> None:
    policy = RetryPolicy()
    decision = decide_retry(
        policy,
        method=method,
        retries_done=retries,
        elapsed=elapsed,
        status=status,
        request_sent=sent,
        retry_after=retry_after,
        rand=rand,
    )
    if decision.retry:
        assert retries < policy.max_retries
        assert 0 <= decision.delay <= max(policy.backoff_max, policy.max_retry_after)
        assert policy.deadline is not None
        assert elapsed + decision.delay <= policy.deadline
        assert status is None or status in RETRY_STATUSES
        if method == "POST":
            assert status in (429, 503) or (status is None and not sent)


links = st.one_of(
    st.text(max_size=80),
    st.builds(lambda s: f"{BASE}/webhooks/?page={s}", st.text(max_size=10)),
    st.builds(lambda h, p: f"https://{h}:{p}/x", st.text(max_size=12), st.text(max_size=6)),
    st.builds(lambda u: f"https://{u}@api.test/webhooks/", st.text(max_size=12)),
    st.sampled_from(["//evil.test/x", "http://api.test/x", "HTTPS://API.TEST/x", "https://[::1"]),
)


@FAST
@given(link=links)
def test_a_next_link_is_followed_only_on_our_origin_without_credentials(link: str) -> None:
    page = RawPage(items=[{"id": "a"}], count=10, next=link or None)
    ref = next_page(
        page,
        current=PageRef(1, f"{BASE}/webhooks/?page=1"),
        seen=1,
        base_url=BASE,
        by_number=lambda n: f"{BASE}/webhooks/?page={n}",
    )
    if link:
        assert ref is not None
    if ref is not None and ref.linked:
        assert same_origin(ref.url, BASE)
        assert "@" not in ref.url.split("/")[2]


@settings(max_examples=100, deadline=None)
@given(
    body=st.binary(max_size=4096), status=st.integers(300, 599), text_body=st.text(max_size=2000)
)
def test_any_error_body_maps_to_our_error_quickly(body: bytes, status: int, text_body: str) -> None:
    for raw in (body, text_body.encode("utf-8", "surrogatepass")):
        started = time.process_time()
        error = error_from_response(
            Response(status=status, headers={}, body=raw, method="GET", path="/webhooks/")
        )
        assert time.process_time() - started < 0.2
        assert isinstance(error, APIError)
        assert isinstance(error, EWHError)
        assert len(str(error)) < 600


@FAST
@given(user=st.text(max_size=10), password=st.text(min_size=1, max_size=20))
def test_redacted_urls_never_show_the_password(user: str, password: str) -> None:
    shown = redact_url(f"https://{user}:{password}@host.test/path")
    try:
        assert urlsplit(shown).password in (None, "***")
    except ValueError:
        assert shown == "<unparseable URL>" or "@" not in shown


@FAST
@given(st.text(max_size=200))
def test_redacting_any_text_never_raises(value: str) -> None:
    assert isinstance(redact_text(value), str)
    assert isinstance(redact_url(value), str)


@settings(max_examples=150, deadline=None)
@given(body=st.binary(max_size=2048) | json_bodies, status=st.sampled_from([200, 201, 204]))
def test_any_success_body_of_any_endpoint_is_a_value_or_our_error(body: bytes, status: int) -> None:
    # Every way a 2xx answer is read: one webhook (get, create, update), a page of the
    # listing (its envelope, then its items), the tokens of a login or refresh.
    response = Response(status=status, headers={}, body=body, method="GET", path="/webhooks/")
    readers = (
        lambda data: structure_webhook(data, what="t"),
        lambda data: structure_items(structure_raw_page(data, what="t").items, what="t"),
        lambda data: structure(data, Tokens, what="t"),
    )
    for read in readers:
        started = time.process_time()
        with contextlib.suppress(EWHError):  # anything else fails the test
            read(decode_json(response))
        assert time.process_time() - started < 0.2

"""Topic checks: what callers send is checked against the documented topics, and
every refusal says what is known."""

from __future__ import annotations

import pytest

from ewh_webhooks import InvalidArgumentError
from ewh_webhooks.topics import check_partial_topic, check_topic

HINT = "pass validate_topic=False if the API has added it"
GROUPS = "article, batch, inbound, modification, order, shipment, stock, variant"


@pytest.mark.parametrize(
    ("group", "action", "message"),
    [
        pytest.param(
            "pallet",
            "moved",
            f"unknown webhook topic 'pallet.moved' (known groups: {GROUPS}); {HINT}",
            id="unknown-group-lists-the-groups",
        ),
        pytest.param(
            "order",
            "teleported",
            "unknown webhook topic 'order.teleported' (known actions for 'order': "
            f"created, planned, processing, shipped, updated); {HINT}",
            id="unknown-action-lists-the-groups-actions",
        ),
        pytest.param(None, "created", "group must be a non-empty string, got None", id="no-group"),
        pytest.param("order", "", "action must be a non-empty string, got ''", id="empty-action"),
    ],
)
def test_an_unknown_topic_is_refused_with_what_is_known(
    group: object, action: object, message: str
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        check_topic(group, action)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("group", "action"),
    [
        pytest.param("order", "shipped", id="both-known"),
        pytest.param("order", None, id="known-group-only"),
        pytest.param(None, "shipped", id="known-action-only"),
        pytest.param(None, None, id="neither"),
    ],
)
def test_a_partial_topic_passes_when_what_is_given_is_known(
    group: str | None, action: str | None
) -> None:
    check_partial_topic(group, action)


@pytest.mark.parametrize(
    ("group", "action", "message"),
    [
        pytest.param(
            "order",
            "teleported",
            "unknown webhook topic 'order.teleported' (known actions for 'order': "
            f"created, planned, processing, shipped, updated); {HINT}",
            id="both-given-are-checked-together",
        ),
        pytest.param(
            "stock",
            "created",
            "unknown webhook topic 'stock.created' (known actions for 'stock': updated); " + HINT,
            id="a-known-group-and-a-known-action-that-do-not-go-together",
        ),
        pytest.param(
            "pallet",
            None,
            f"unknown webhook group 'pallet' (known groups: {GROUPS}); {HINT}",
            id="unknown-group",
        ),
        pytest.param(None, "moved", f"unknown webhook action 'moved'; {HINT}", id="unknown-action"),
    ],
)
def test_a_partial_topic_refuses_what_is_unknown(
    group: str | None, action: str | None, message: str
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        check_partial_topic(group, action)
    assert str(caught.value) == message

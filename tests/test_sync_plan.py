"""The sync planner: a pure function, tested with tables."""

from __future__ import annotations

import pytest

from ewh_webhooks import InvalidArgumentError, Webhook, WebhookSpec, WebhookUpdate
from ewh_webhooks.sync import SyncKind, check_specs, plan_sync


def hook(id: str, topic: str, url: str) -> Webhook:
    group, action = topic.split(".")
    return Webhook(id=id, url=url, group=group, action=action)


def spec(topic: str, url: str, secret: str = "s") -> WebhookSpec:
    group, action = topic.split(".")
    return WebhookSpec(url=url, group=group, action=action, hash_secret=secret)


A, B, C = "https://a.test/", "https://b.test/", "https://c.test/"


def summary(plan: object) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for kind in ("creates", "updates", "deletes", "unchanged"):
        out[kind] = sorted(
            f"{a.webhook.id if a.webhook else '-'}:{a.topic}:{a.url}" for a in getattr(plan, kind)
        )
    return out


CASES = [
    pytest.param(
        [],
        [spec("order.shipped", A)],
        False,
        {"creates": ["-:order.shipped:" + A]},
        id="create-missing",
    ),
    pytest.param(
        [hook("1", "order.shipped", A)],
        [spec("order.shipped", A)],
        False,
        {"unchanged": ["1:order.shipped:" + A]},
        id="exact-match",
    ),
    pytest.param([hook("1", "order.shipped", A)], [], False, {}, id="no-prune-keeps-extra"),
    pytest.param(
        [hook("1", "order.shipped", A)],
        [],
        True,
        {"deletes": ["1:order.shipped:" + A]},
        id="prune-deletes-extra",
    ),
    pytest.param(
        [hook("1", "order.shipped", A)],
        [spec("order.shipped", B)],
        False,
        {"creates": ["-:order.shipped:" + B]},
        id="no-prune-never-repurposes",
    ),
    pytest.param(
        [hook("1", "order.shipped", A)],
        [spec("order.shipped", B)],
        True,
        {"updates": ["1:order.shipped:" + B]},
        id="prune-repurposes-same-topic",
    ),
    pytest.param(
        [hook("1", "order.shipped", A)],
        [spec("stock.updated", A)],
        True,
        {"creates": ["-:stock.updated:" + A], "deletes": ["1:order.shipped:" + A]},
        id="other-topic-is-not-repurposed",
    ),
    pytest.param(
        [hook("1", "order.shipped", A), hook("2", "order.shipped", A)],
        [spec("order.shipped", A)],
        True,
        {"unchanged": ["1:order.shipped:" + A], "deletes": ["2:order.shipped:" + A]},
        id="prune-removes-duplicates",
    ),
    pytest.param(
        [hook("1", "order.shipped", A), hook("2", "order.shipped", A)],
        [spec("order.shipped", A), spec("order.shipped", B)],
        True,
        {"unchanged": ["1:order.shipped:" + A], "updates": ["2:order.shipped:" + B]},
        id="duplicate-repurposed",
    ),
    pytest.param(
        [hook("1", "order.shipped", A), hook("2", "order.shipped", A)],
        [spec("order.shipped", A)],
        False,
        {"unchanged": ["1:order.shipped:" + A]},
        id="no-prune-leaves-duplicates",
    ),
    pytest.param(
        [
            hook("1", "order.shipped", A),
            hook("2", "order.shipped", B),
            hook("3", "order.shipped", C),
        ],
        [spec("order.shipped", "https://d.test/")],
        True,
        {
            "updates": ["1:order.shipped:https://d.test/"],
            "deletes": ["2:order.shipped:" + B, "3:order.shipped:" + C],
        },
        id="one-repurposed-rest-deleted",
    ),
]


@pytest.mark.parametrize(("current", "specs", "prune", "expected"), CASES)
def test_plan_table(
    current: list[Webhook], specs: list[WebhookSpec], prune: bool, expected: dict[str, list[str]]
) -> None:
    plan = plan_sync(current, check_specs(specs), prune=prune)
    full = {"creates": [], "updates": [], "deletes": [], "unchanged": [], **expected}
    assert summary(plan) == full
    assert plan.request_count == len(full["creates"]) + len(full["updates"]) + len(full["deletes"])


def test_repurposing_sends_url_and_secret_in_one_patch() -> None:
    plan = plan_sync([hook("1", "order.shipped", A)], [spec("order.shipped", B, "new")], prune=True)
    (update,) = plan.updates
    assert update.changes == WebhookUpdate(url=B, hash_secret="new")


def test_resend_secrets_patches_matched_webhooks_with_the_secret_only() -> None:
    plan = plan_sync(
        [hook("1", "order.shipped", A)], [spec("order.shipped", A, "rotated")], resend_secrets=True
    )
    (update,) = plan.updates
    assert update.kind is SyncKind.UPDATE
    assert update.changes == WebhookUpdate(hash_secret="rotated")
    assert not plan.unchanged


def test_plan_is_deterministic() -> None:
    current = [hook(str(i), "order.shipped", f"https://{i}.test/") for i in range(5)]
    specs = [spec("order.shipped", f"https://n{i}.test/") for i in range(3)]
    assert plan_sync(current, specs, prune=True) == plan_sync(
        list(reversed(current)), list(reversed(specs)), prune=True
    )


@pytest.mark.parametrize(
    ("specs", "fragment"),
    [
        ([spec("order.shipped", A), spec("order.shipped", A)], "listed twice"),
        ([spec("order.shipped", A, "x"), spec("order.shipped", A, "y")], "different secrets"),
        ([spec("order.teleported", A)], "unknown webhook topic"),
        ([spec("order.shipped", "http://a.test/")], "https"),
        ([spec("order.shipped", A, "")], "hash_secret"),
        (["not a spec"], "not a WebhookSpec"),
    ],
)
def test_bad_specs_are_rejected_before_any_request(specs: list[WebhookSpec], fragment: str) -> None:
    with pytest.raises(InvalidArgumentError, match=fragment):
        check_specs(specs)

"""The sync planner: a pure function, tested with tables."""

from __future__ import annotations

import pytest

from ewh_webhooks import InvalidArgumentError, Webhook, WebhookSpec, WebhookUpdate
from ewh_webhooks.sync import SyncAction, SyncKind, check_specs, plan_sync


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


SECRET_URL = "https://u:pw@a.test/"


@pytest.mark.parametrize(
    ("current", "specs", "options", "lines"),
    [
        pytest.param(
            [], [spec("order.shipped", A)], {}, ["create: order.shipped " + A], id="create"
        ),
        pytest.param(
            [hook("1", "order.shipped", A)],
            [spec("order.shipped", A)],
            {},
            ["unchanged 1: order.shipped " + A],
            id="unchanged",
        ),
        pytest.param(
            [hook("1", "order.shipped", A)],
            [],
            {"prune": True},
            ["delete 1: order.shipped " + A],
            id="delete",
        ),
        pytest.param(
            [hook("1", "order.shipped", SECRET_URL)],
            [spec("order.shipped", B)],
            {"prune": True},
            ["update 1: order.shipped https://u:***@a.test/ -> " + B],
            id="repurpose-redacted",
        ),
        pytest.param(
            [hook("1", "order.shipped", SECRET_URL)],
            [spec("order.shipped", SECRET_URL)],
            {"resend_secrets": True},
            ["update 1: order.shipped https://u:***@a.test/ (secret)"],
            id="secret-only",
        ),
    ],
)
def test_every_action_describes_itself_in_one_line_without_credentials(
    current: list[Webhook],
    specs: list[WebhookSpec],
    options: dict[str, bool],
    lines: list[str],
) -> None:
    plan = plan_sync(current, specs, **options)
    actions = plan.writes + plan.unchanged
    assert [action.describe() for action in actions] == lines


def test_without_prune_nothing_is_deleted() -> None:
    assert plan_sync([hook("1", "order.shipped", A)], []).deletes == ()


def test_matched_actions_carry_both_the_spec_and_the_webhook() -> None:
    current, wanted = hook("1", "order.shipped", A), spec("order.shipped", A)
    (same,) = plan_sync([current], [wanted]).unchanged
    assert same == SyncAction(kind=SyncKind.UNCHANGED, spec=wanted, webhook=current)
    (resent,) = plan_sync([current], [wanted], resend_secrets=True).updates
    assert resent == SyncAction(
        kind=SyncKind.UPDATE,
        spec=wanted,
        webhook=current,
        changes=WebhookUpdate(hash_secret="s"),
    )


def test_loopback_http_is_refused_unless_allowed() -> None:
    local = [spec("order.shipped", "http://127.0.0.1:8080/hook")]
    with pytest.raises(InvalidArgumentError, match=r"^specs\[0\]: url .* must use https"):
        check_specs(local)
    assert check_specs(local, allow_loopback_http=True) == local


def test_without_topic_validation_any_non_empty_group_and_action_pass() -> None:
    custom = [spec("pallet.teleported", A)]
    assert check_specs(custom, validate_topic=False) == custom


@pytest.mark.parametrize(
    ("specs", "message"),
    [
        pytest.param(
            [spec("order.shipped", A), "x"],
            "specs[1] is a str, not a WebhookSpec",
            id="not-a-spec",
        ),
        pytest.param(
            [spec("order.shipped", A), spec("order.shipped", A)],
            f"specs[1]: order.shipped {A} is listed twice",
            id="twice",
        ),
        pytest.param(
            [spec("order.shipped", SECRET_URL, "x"), spec("order.shipped", SECRET_URL, "y")],
            "specs[1]: order.shipped https://u:***@a.test/ is listed twice with different secrets",
            id="twice-with-different-secrets",
        ),
        pytest.param(
            [spec("order.shipped", A, "")],
            "specs[0]: hash_secret must be a non-empty string",
            id="empty-secret",
        ),
        pytest.param(
            [WebhookSpec(url=A, group=" ", action="x", hash_secret="s")],
            "specs[0]: group must be a non-empty string, got ' '",
            id="blank-group",
        ),
        pytest.param(
            [WebhookSpec(url=A, group="x", action="", hash_secret="s")],
            "specs[0]: action must be a non-empty string, got ''",
            id="empty-action",
        ),
    ],
)
def test_a_bad_spec_is_named_by_its_index(specs: list[WebhookSpec], message: str) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        check_specs(specs, validate_topic=False, allow_credentials=True)
    assert str(caught.value) == message

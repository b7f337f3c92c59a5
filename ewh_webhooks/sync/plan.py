"""The sync planner: current webhooks + desired specs -> the smallest `SyncPlan`.

A webhook is identified by group + action + url (the fields the API requires on
create), never by the server's `topic` string, whose format is not documented.
Exact matches are left alone (the list never returns secrets, so theirs is kept
unless `resend_secrets`). Without `prune`, nothing existing is deleted or
repurposed: missing specs are created. With `prune`, the customer's webhooks become
exactly the specs: an unmatched webhook of a group + action that still has an
unmatched spec is PATCHed to it (url and secret in one request) instead of deleted
and re-created; the rest are deleted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from enum import StrEnum

import attrs

from ..errors import InvalidArgumentError
from ..models import Webhook, WebhookSpec, WebhookUpdate
from ..redaction import redact_url
from ..topics import check_topic
from ..validation import check_non_empty_str, check_secret, check_webhook_url

__all__ = ["SyncAction", "SyncKind", "SyncPlan", "check_specs", "plan_sync"]

Kind = tuple[str, str]  # group, action
Key = tuple[str, str, str]  # group, action, url


class SyncKind(StrEnum):
    """What a `SyncAction` does."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    UNCHANGED = "unchanged"


@attrs.frozen(slots=True, kw_only=True)
class SyncAction:
    """One step: `spec` is the desired state (None for a delete), `webhook` the existing
    one (None for a create), `changes` the PATCH body of an update."""

    kind: SyncKind
    spec: WebhookSpec | None = None
    webhook: Webhook | None = None
    changes: WebhookUpdate | None = None

    @property
    def topic(self) -> str:
        """`group.action` of the desired webhook, or of the existing one for a delete."""
        if self.spec is not None:
            return self.spec.topic
        assert self.webhook is not None
        return self.webhook.topic

    @property
    def url(self) -> str:
        """The desired url, or the existing one for a delete."""
        if self.spec is not None:
            return self.spec.url
        assert self.webhook is not None
        return self.webhook.url

    def describe(self) -> str:
        """One line for people: kind, id, topic and url (credentials redacted)."""
        if self.kind is SyncKind.UPDATE and self.webhook is not None and self.spec is not None:
            if self.webhook.url != self.spec.url:
                return (
                    f"update {self.webhook.id}: {self.topic} "
                    f"{redact_url(self.webhook.url)} -> {redact_url(self.spec.url)}"
                )
            return f"update {self.webhook.id}: {self.topic} {redact_url(self.url)} (secret)"
        ident = f" {self.webhook.id}" if self.webhook is not None else ""
        return f"{self.kind.value}{ident}: {self.topic} {redact_url(self.url)}"


@attrs.frozen(slots=True, kw_only=True)
class SyncPlan:
    """What sync will do: `writes` in the order they run, `unchanged` for the record."""

    creates: tuple[SyncAction, ...] = ()
    updates: tuple[SyncAction, ...] = ()
    deletes: tuple[SyncAction, ...] = ()
    unchanged: tuple[SyncAction, ...] = ()

    @property
    def writes(self) -> tuple[SyncAction, ...]:
        """The actions that send a request, in the order they run: no gap in delivery,
        so replacements (updates, creates) go before deletes."""
        return self.updates + self.creates + self.deletes

    @property
    def request_count(self) -> int:
        """How many requests applying the plan sends (listing excluded)."""
        return len(self.creates) + len(self.updates) + len(self.deletes)

    def summary(self) -> str:
        """One line: how many to create, update, delete, and unchanged."""
        return (
            f"{len(self.creates)} to create, {len(self.updates)} to update, "
            f"{len(self.deletes)} to delete, {len(self.unchanged)} unchanged"
        )


def _key(hook: Webhook | WebhookSpec) -> Key:
    return hook.group, hook.action, hook.url


def check_specs(
    specs: Iterable[WebhookSpec],
    *,
    validate_topic: bool = True,
    allow_loopback_http: bool = False,
    allow_credentials: bool = False,
) -> list[WebhookSpec]:
    """Reject bad, duplicate or conflicting specs before any request."""
    seen: dict[Key, WebhookSpec] = {}
    checked = []
    for index, spec in enumerate(specs):
        where = f"specs[{index}]"
        if not isinstance(spec, WebhookSpec):
            # Never repr it: a dict given by mistake holds the secret.
            raise InvalidArgumentError(f"{where} is a {type(spec).__name__}, not a WebhookSpec")
        try:
            check_webhook_url(
                spec.url,
                allow_loopback_http=allow_loopback_http,
                allow_credentials=allow_credentials,
            )
            check_secret(spec.hash_secret, name="hash_secret")
            if validate_topic:
                check_topic(spec.group, spec.action)
            else:
                check_non_empty_str(spec.group, "group")
                check_non_empty_str(spec.action, "action")
        except InvalidArgumentError as exc:
            raise InvalidArgumentError(f"{where}: {exc}") from None
        key = _key(spec)
        if key in seen:
            what = "listed twice" if seen[key] == spec else "listed twice with different secrets"
            raise InvalidArgumentError(f"{where}: {spec.topic} {redact_url(spec.url)} is {what}")
        seen[key] = spec
        checked.append(spec)
    return checked


def plan_sync(
    current: Sequence[Webhook],
    specs: Sequence[WebhookSpec],
    *,
    prune: bool = False,
    resend_secrets: bool = False,
) -> SyncPlan:
    """The fewest requests that turn `current` into `specs` (see the module docstring).

    `specs` must have passed `check_specs`. Deterministic: ties are broken by url and id.
    """
    existing: dict[Key, list[Webhook]] = defaultdict(list)
    for hook in sorted(current, key=lambda h: (_key(h), h.id)):
        existing[_key(hook)].append(hook)

    unchanged: list[SyncAction] = []
    updates: list[SyncAction] = []
    creates: list[SyncAction] = []
    deletes: list[SyncAction] = []
    spare: dict[Kind, list[Webhook]] = defaultdict(list)  # unmatched webhooks by kind
    missing: dict[Kind, list[WebhookSpec]] = defaultdict(list)  # unmatched specs by kind

    # Keys are unique (check_specs), so sorting on them alone is deterministic.
    for spec in sorted(specs, key=_key):
        kind = (spec.group, spec.action)
        matches = existing.pop(_key(spec), None)
        if not matches:
            missing[kind].append(spec)
            continue
        keep, *extra = matches
        if resend_secrets:
            changes = WebhookUpdate(hash_secret=spec.hash_secret)
            updates.append(
                SyncAction(kind=SyncKind.UPDATE, spec=spec, webhook=keep, changes=changes)
            )
        else:
            unchanged.append(SyncAction(kind=SyncKind.UNCHANGED, spec=spec, webhook=keep))
        # Duplicates of a desired webhook (a crashed run, a manual create) are spare.
        spare[kind].extend(extra)
    for hooks in existing.values():
        for hook in hooks:
            spare[(hook.group, hook.action)].append(hook)

    for kind, wanted in missing.items():
        reusable = spare.pop(kind, []) if prune else []
        for spec, hook in zip(wanted, reusable, strict=False):
            changes = WebhookUpdate(url=spec.url, hash_secret=spec.hash_secret)
            updates.append(
                SyncAction(kind=SyncKind.UPDATE, spec=spec, webhook=hook, changes=changes)
            )
        for spec in wanted[len(reusable) :]:
            creates.append(SyncAction(kind=SyncKind.CREATE, spec=spec))
        if len(reusable) > len(wanted):
            spare[kind] = reusable[len(wanted) :]
    if prune:
        for hooks in spare.values():
            deletes.extend(SyncAction(kind=SyncKind.DELETE, webhook=hook) for hook in hooks)

    return SyncPlan(
        creates=tuple(creates),
        updates=tuple(updates),
        deletes=tuple(deletes),
        unchanged=tuple(unchanged),
    )

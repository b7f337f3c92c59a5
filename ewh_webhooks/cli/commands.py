"""The webhook commands: list, get, create, update, delete.

Each command registers itself with `add_command` and imports what it needs (the
client, the output helpers) when it runs, so that `--help` stays fast. `--json`
prints an array for `list` and one object for the others.
"""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from .errors import UsageError
from .parser import Subcommands, add_command, positive_int

if TYPE_CHECKING:
    from ..models import Webhook

__all__ = ["register"]


def register(sub: Subcommands) -> None:
    p = add_command(sub, "list", _list, summary="list webhooks", connects=True, json=True)
    p.add_argument("--limit", type=positive_int, default=100, help="page size")
    p.add_argument("--sort", help="a field to sort by, e.g. url")
    p.add_argument("--direction", choices=["asc", "desc"])

    p = add_command(sub, "get", _get, summary="show one webhook", connects=True, json=True)
    p.add_argument("id")

    p = add_command(sub, "create", _create, summary="create a webhook", connects=True, json=True)
    p.add_argument("--url", required=True)
    p.add_argument("--topic", required=True, help="e.g. order.shipped")
    p.add_argument(
        "--secret-env",
        default="EWH_HASH_SECRET",
        metavar="VARIABLE",
        help="the environment variable holding the secret (default EWH_HASH_SECRET)",
    )
    p.add_argument("--no-validate-topic", action="store_true", help="accept an unknown topic")
    p.add_argument(
        "--allow-credentials", action="store_true", help="accept a URL with user:password@"
    )

    p = add_command(sub, "update", _update, summary="change a webhook", connects=True, json=True)
    p.add_argument("id")
    p.add_argument("--url")
    p.add_argument("--topic")
    p.add_argument("--secret-env", metavar="VARIABLE", help="a variable holding a new secret")
    p.add_argument("--no-validate-topic", action="store_true", help="accept an unknown topic")
    p.add_argument(
        "--allow-credentials", action="store_true", help="accept a URL with user:password@"
    )

    p = add_command(sub, "delete", _delete, summary="delete a webhook", connects=True, json=True)
    p.add_argument("id")


def secret_from_env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise UsageError(f"environment variable {name} (the webhook secret) is not set")
    return value


def split_topic(topic: str) -> tuple[str, str]:
    if topic.count(".") != 1:
        raise UsageError(f"--topic must look like 'order.shipped', got {topic!r}")
    group, action = topic.split(".")
    return group, action


def _show(hook: Webhook, *, as_json: bool) -> None:
    from .output import print_json, print_webhooks, webhook_json

    if as_json:
        print_json(webhook_json(hook))
    else:
        print_webhooks([hook])


async def _list(args: argparse.Namespace) -> int:
    from .connect import open_client
    from .output import print_json, print_webhooks, webhook_json

    async with open_client(args) as client:
        listing = client.webhooks.list(limit=args.limit, sort=args.sort, direction=args.direction)
        hooks = [hook async for hook in listing]
    if args.json:
        print_json([webhook_json(hook) for hook in hooks])
    else:
        print_webhooks(hooks)
    return 0


async def _get(args: argparse.Namespace) -> int:
    from .connect import open_client

    async with open_client(args) as client:
        hook = await client.webhooks.get(args.id)
    _show(hook, as_json=args.json)
    return 0


async def _create(args: argparse.Namespace) -> int:
    from .connect import open_client

    group, action = split_topic(args.topic)
    secret = secret_from_env(args.secret_env)
    async with open_client(args) as client:
        hook = await client.webhooks.create(
            url=args.url,
            group=group,
            action=action,
            hash_secret=secret,
            validate_topic=not args.no_validate_topic,
            allow_credentials=args.allow_credentials,
        )
    _show(hook, as_json=args.json)
    return 0


async def _update(args: argparse.Namespace) -> int:
    from .connect import open_client

    group, action = split_topic(args.topic) if args.topic else (None, None)
    secret = secret_from_env(args.secret_env) if args.secret_env else None
    if args.url is None and group is None and secret is None:
        raise UsageError("nothing to change: give --url, --topic or --secret-env")
    async with open_client(args) as client:
        hook = await client.webhooks.update(
            args.id,
            url=args.url,
            group=group,
            action=action,
            hash_secret=secret,
            validate_topic=not args.no_validate_topic,
            allow_credentials=args.allow_credentials,
        )
    _show(hook, as_json=args.json)
    return 0


async def _delete(args: argparse.Namespace) -> int:
    from .connect import open_client
    from .output import print_json, say

    async with open_client(args) as client:
        await client.webhooks.delete(args.id)
    if args.json:
        print_json({"deleted": args.id})
    else:
        say(f"deleted {args.id}")
    return 0

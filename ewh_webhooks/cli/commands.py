"""The CLI commands: each takes parsed arguments and a client, prints, returns an exit code."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from ..client import EWHClient
from ..converter import unstructure
from ..errors import InvalidArgumentError
from ..models import Webhook
from ..signature import verify_signature
from ..sync import SyncItemResult, SyncResult, sync_customers
from . import inbox_commands
from .specfile import load_spec_file

__all__ = ["run"]


@asynccontextmanager
async def _client(args: argparse.Namespace) -> AsyncIterator[EWHClient]:
    overrides: dict[str, Any] = {"timeout": args.timeout}
    if args.emulator:
        from ..testing import EWHEmulator

        async with EWHEmulator() as emulator, emulator.client(**overrides) as client:
            yield client if not args.customer else client.for_customer(args.customer)
        return
    for flag, key in (
        ("base_url", "base_url"),
        ("username", "username"),
        ("password", "password"),
        ("wms_code", "wms_code"),
        ("customer", "customer_code"),
    ):
        value = getattr(args, flag, None)
        if value:
            overrides[key] = value
    async with EWHClient.from_env(**overrides) as client:
        yield client


def _secret_from_env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise InvalidArgumentError(f"environment variable {name} (the webhook secret) is not set")
    return value


def _split_topic(topic: str) -> tuple[str, str]:
    if topic.count(".") != 1:
        raise InvalidArgumentError(f"topic must look like 'order.shipped', got {topic!r}")
    group, action = topic.split(".")
    return group, action


def _hook_json(hook: Webhook) -> dict[str, Any]:
    data: dict[str, Any] = unstructure(hook)
    data.pop("raw", None)
    data.pop("hash_secret", None)  # never printed
    return data


def _print_hooks(hooks: list[Webhook], as_json: bool) -> None:
    if as_json:
        print(json.dumps([_hook_json(h) for h in hooks], indent=2))
        return
    rows = [("ID", "TOPIC", "URL")] + [(h.id, h.topic, h.url) for h in hooks]
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    for row in rows:
        print(f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]}")


async def run(args: argparse.Namespace) -> int:
    if args.command in inbox_commands.COMMANDS:
        return await inbox_commands.run(args)
    if args.command == "verify":
        return _verify(args)
    if args.command == "emulator":
        return await _emulator(args)
    if args.command == "demo":
        from .demo import run_demo

        return await run_demo(count=args.count)
    if args.command == "sync":
        return await _sync(args)
    async with _client(args) as client:
        hooks = client.webhooks
        if args.command == "list":
            listing = hooks.list(limit=args.limit, sort=args.sort, direction=args.direction)
            found = [hook async for hook in listing]
            _print_hooks(found, args.json)
        elif args.command == "get":
            _print_hooks([await hooks.get(args.id)], args.json)
        elif args.command == "create":
            group, action = _split_topic(args.topic)
            created = await hooks.create(
                url=args.url,
                group=group,
                action=action,
                hash_secret=_secret_from_env(args.secret_env),
                validate_topic=not args.no_validate_topic,
            )
            _print_hooks([created], args.json)
        elif args.command == "update":
            topic = _split_topic(args.topic) if args.topic else None
            updated = await hooks.update(
                args.id,
                url=args.url,
                group=topic[0] if topic else None,
                action=topic[1] if topic else None,
                hash_secret=_secret_from_env(args.secret_env) if args.secret_env else None,
                validate_topic=not args.no_validate_topic,
            )
            _print_hooks([updated], args.json)
        elif args.command == "delete":
            await hooks.delete(args.id)
            print(f"deleted {args.id}")
    return 0


def _verify(args: argparse.Namespace) -> int:
    if args.body == "-":
        body = sys.stdin.buffer.read()
    else:
        try:
            with open(args.body, "rb") as handle:
                body = handle.read()
        except OSError as exc:
            raise InvalidArgumentError(f"cannot read {args.body}: {exc.strerror}") from exc
    verify_signature(body, args.signature, _secret_from_env(args.secret_env))
    print("signature valid")
    return 0


async def _emulator(args: argparse.Namespace) -> int:
    from ..testing import EWHEmulator

    async with EWHEmulator(host=args.host, port=args.port) as emulator:
        print(f"emulator listening on {emulator.base_url}")
        print(f"  EWH_BASE_URL={emulator.base_url}")
        print(f"  EWH_USERNAME={emulator.username}")
        print(f"  EWH_PASSWORD={emulator.password}")
        print(f"  EWH_WMS_CODE={emulator.wms_code}")
        others = ", ".join(emulator.customer_codes[1:])
        print(f"  EWH_CUSTOMER_CODE={emulator.customer_code}  (also: {others})")
        print("press Ctrl-C to stop", flush=True)
        await asyncio.Event().wait()
    return 0


class _Progress:
    """A one-line progress bar on a terminal; silent otherwise."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()

    def __call__(self, item: SyncItemResult, done: int, total: int) -> None:
        if self.enabled and total >= 20:
            filled = int(30 * done / total)
            bar = "#" * filled + "-" * (30 - filled)
            sys.stderr.write(f"\r[{bar}] {done}/{total}")
            if done == total:
                sys.stderr.write("\n")
            sys.stderr.flush()


def _print_plan(result: SyncResult) -> None:
    plan = result.plan
    actions = plan.writes
    print(f"customer {result.customer}: {plan.summary()}")
    for action in actions:
        print(f"  {action.describe()}")


async def _sync(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        specs = load_spec_file(args.file, default_customer=client.customer_code)
        results = await sync_customers(
            client,
            specs,
            prune=args.prune,
            dry_run=args.dry_run,
            concurrency=args.concurrency,
            resend_secrets=args.resend_secrets,
            on_progress=_Progress(),
        )
    failed = 0
    for result in results.values():
        _print_plan(result)
        for item in result.failed:
            print(f"  FAILED {item.action.describe()}: {item.error}")
        print(result.summary())
        failed += len(result.failed) + (result.error is not None)
    return 1 if failed else 0

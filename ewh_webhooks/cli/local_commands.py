"""Commands that need no account: verify, emulator, demo."""

from __future__ import annotations

import argparse

from .commands import secret_from_env
from .errors import CommandError
from .files import read_bytes
from .parser import Subcommands, add_command, count, port

__all__ = ["MAX_BODY_BYTES", "register"]

# Ten times the receiver's default body limit: any real delivery fits.
MAX_BODY_BYTES = 10 * 1024 * 1024


def register(sub: Subcommands) -> None:
    p = add_command(sub, "verify", _verify, summary="check a delivery's signature")
    p.add_argument("--signature", required=True, help="the X-Hmac-Sha256 header value")
    p.add_argument(
        "--secret-env",
        default="EWH_HASH_SECRET",
        metavar="VARIABLE",
        help="the environment variable holding the secret (default EWH_HASH_SECRET)",
    )
    p.add_argument("body", nargs="?", default="-", help="file with the raw body (- for stdin)")

    p = add_command(sub, "emulator", _emulator, summary="run the emulator standalone")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=port, default=8080, help="0 for any free port")

    p = add_command(sub, "demo", _demo, summary="a tour against the embedded emulator")
    p.add_argument("--count", type=count, default=60, help="webhooks to create (default 60)")


async def _verify(args: argparse.Namespace) -> int:
    from ..signature import verify_signature

    secret = secret_from_env(args.secret_env)
    verify_signature(read_bytes(args.body, limit=MAX_BODY_BYTES), args.signature, secret)
    print("signature valid")
    return 0


async def _emulator(args: argparse.Namespace) -> int:
    import asyncio

    from ..testing import EWHEmulator

    emulator = EWHEmulator(host=args.host, port=args.port)
    try:
        await emulator.start()
    except OSError as exc:  # the port is taken, the host is not ours...
        await emulator.close()
        reason = exc.strerror or str(exc)
        raise CommandError(f"cannot listen on {args.host}:{args.port}: {reason}") from None
    try:
        print(f"emulator listening on {emulator.base_url}")
        # The emulator's own fixed credentials (documented defaults, not a secret):
        # printed so that another shell can use them.
        print(f"  EWH_BASE_URL={emulator.base_url}")
        print(f"  EWH_USERNAME={emulator.username}")
        print(f"  EWH_PASSWORD={emulator.password}")
        print(f"  EWH_WMS_CODE={emulator.wms_code}")
        others = ", ".join(emulator.customer_codes[1:])
        print(f"  EWH_CUSTOMER_CODE={emulator.customer_code}  (also: {others})")
        print("press Ctrl-C to stop", flush=True)
        await asyncio.Event().wait()
    finally:
        await emulator.close()
    return 0


async def _demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return await run_demo(count=args.count)

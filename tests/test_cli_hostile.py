"""What a hostile server sends never reaches the terminal raw, nor makes the CLI crash:
escape sequences, forged lines and lone surrogates in ids, URLs and error messages."""

from __future__ import annotations

import asyncio
import io
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st

from ewh_webhooks.cli import main
from ewh_webhooks.cli.output import cli_message, print_json, printable, say
from ewh_webhooks.inbox import Delivery
from ewh_webhooks.inbox.sqlite import SQLiteInbox
from ewh_webhooks.testing import EWHEmulator

from .cli_fixtures import CLI

# Retitles the window, clears the screen, then forges a line of its own.
INJECTION = "\x1b]0;PWNED\x07\x1b[2J\r\nFAKE LINE"
HOSTILE_URL = f"https://e.test/h{INJECTION}"
SURROGATE = "\ud800"
RAW = ("\x1b", "\x07", "\r", "\x9b", "\u202e", SURROGATE)


def assert_terminal_safe(text: str) -> None:
    """Nothing a terminal would act on: each line printable, no forged line."""
    assert "Traceback" not in text
    for line in text.splitlines():
        assert line.isprintable(), repr(line)
    assert not any(line.startswith("FAKE LINE") for line in text.splitlines())


# --- the pure pieces


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("https://e.test/h", "https://e.test/h"),
        ("café ünïcode ✓", "café ünïcode ✓"),
        (INJECTION, "\\x1b]0;PWNED\\x07\\x1b[2J\\r\\nFAKE LINE"),
        ("a\x9bb\x85c", "a\\x9bb\\x85c"),  # C1 controls: CSI and NEL
        ("evil\u202etxt.exe", "evil\\u202etxt.exe"),  # a bidi override
        ("line\u2028sep", "line\\u2028sep"),
        (SURROGATE, "\\ud800"),
        ("\U000e0001tag", "\\U000e0001tag"),
    ],
)
def test_printable_escapes_what_a_terminal_would_act_on(text: str, shown: str) -> None:
    assert printable(text) == shown


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(codec=None)))
def test_printable_output_is_printable_and_printable_input_unchanged(text: str) -> None:
    shown = printable(text)
    assert shown.isprintable()
    if text.isprintable():
        assert shown == text


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(st.characters(codec=None), max_size=20), max_size=4))
def test_say_writes_one_line_per_line_on_an_ascii_stream(lines: list[str]) -> None:
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii", newline="\n")
    say(*lines, file=stream)
    stream.flush()
    assert raw.getvalue().decode("ascii").count("\n") == len(lines)


def test_cli_message_is_one_printable_line() -> None:
    message = cli_message(RuntimeError(f"bad {INJECTION} {SURROGATE}\x85more"))
    assert message.isprintable()
    assert "\\x1b]0;PWNED" in message
    assert "\\ud800" in message


def test_json_is_ascii_valid_and_round_trips(capsys: pytest.CaptureFixture[str]) -> None:
    value = {"id": SURROGATE, "url": HOSTILE_URL, "name": "café\u202e\x9b"}
    print_json(value)
    out = capsys.readouterr().out
    assert out.isascii()
    assert json.loads(out) == value


# --- a server that lies: webhooks seeded in the emulator


def seed(emulator: EWHEmulator, *, url: str = "https://e.test/ok", webhook_id: str = "") -> str:
    """A webhook stored as is (no check); `webhook_id` replaces its generated id."""
    hook = emulator.state.add_webhook(
        "CUSTOMER1", url=url, group="order", action="shipped", hash_secret="x"
    )
    if webhook_id:
        table = emulator.state.webhooks["CUSTOMER1"]
        del table[hook.id]
        hook.id = webhook_id
        table[webhook_id] = hook
    return hook.id


def test_list_escapes_a_url_with_terminal_escapes(cli: CLI, live_emulator: EWHEmulator) -> None:
    seed(live_emulator, url=HOSTILE_URL)
    table = cli("list")
    assert table.code == 0, table.err
    assert_terminal_safe(table.out)
    assert len(table.out.splitlines()) == 2  # the header and the webhook, nothing forged
    assert "https://e.test/h\\x1b]0;PWNED\\x07\\x1b[2J\\r\\nFAKE LINE" in table.out
    as_json = cli("list", "--json")
    assert as_json.code == 0, as_json.err
    assert_terminal_safe(as_json.out)
    assert json.loads(as_json.out)[0]["url"] == HOSTILE_URL  # the data itself, unchanged


@pytest.mark.parametrize("as_json", [False, True], ids=["table", "json"])
def test_list_shows_an_id_with_a_lone_surrogate(
    cli: CLI, live_emulator: EWHEmulator, as_json: bool
) -> None:
    seed(live_emulator, webhook_id=SURROGATE)
    ran = cli("list", *(["--json"] if as_json else []))
    assert ran.code == 0, ran.err
    assert_terminal_safe(ran.out)
    if as_json:
        assert json.loads(ran.out)[0]["id"] == SURROGATE
    else:
        assert ran.out.splitlines()[1].startswith("\\ud800  order.shipped")


SYNC_FILE = """
[[webhooks]]
url = "https://e.test/kept"
topic = "stock.updated"
hash_secret = "s"
"""


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_sync_prune_reports_its_writes_whatever_the_ids(
    cli: CLI, live_emulator: EWHEmulator, tmp_path: Path, as_json: bool
) -> None:
    """The report comes after the writes: a printing error there would leave them
    unreported. Whether the odd id's delete succeeds is the SDK's business; every
    write is in the report either way."""
    seed(live_emulator, webhook_id=SURROGATE, url=HOSTILE_URL)
    plain = seed(live_emulator, url="https://e.test/unlisted")
    path = tmp_path / "hooks.toml"
    path.write_text(SYNC_FILE)
    ran = cli(*(["--json"] if as_json else []), "sync", str(path), "--prune")
    assert_terminal_safe(ran.out + ran.err)
    assert plain not in live_emulator.state.webhooks["CUSTOMER1"]  # the writes happened
    if as_json:
        actions = json.loads(ran.out)["customers"][0]["actions"]
        assert {(a["kind"], a["id"]) for a in actions} >= {("delete", plain), ("create", None)}
        assert ("delete", SURROGATE) in {(a["kind"], a["id"]) for a in actions}
    else:
        assert f"delete {plain}: order.shipped https://e.test/unlisted" in ran.out
        assert "delete \\ud800: order.shipped https://e.test/h\\x1b]0;PWNED" in ran.out
        assert "create: stock.updated https://e.test/kept" in ran.out


def test_dead_letters_are_listed_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A dead letter's id and error quote what a sender sent."""
    path = tmp_path / "inbox.db"

    async def fill() -> None:
        inbox = SQLiteInbox(path)
        await inbox.put(Delivery(delivery_id=f"d{INJECTION}", body=b"{}", received_at=1.0))
        [claimed] = await inbox.claim("w", limit=1)
        await inbox.fail(claimed, error=f"ValueError: {INJECTION}")
        await inbox.aclose()

    asyncio.run(fill())
    capsys.readouterr()
    assert main(["inbox", "dead", "--inbox", f"sqlite:///{path}"]) == 0
    out = capsys.readouterr().out
    assert_terminal_safe(out)
    assert len(out.splitlines()) == 1


# --- a server whose error messages are hostile


@contextmanager
def serve(app: web.Application) -> Iterator[str]:
    """`app` on a loopback port, from a thread of its own (the CLI runs its own loop)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    runner = web.AppRunner(app)

    async def start() -> str:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        return f"http://127.0.0.1:{port}"

    try:
        yield asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def hostile_app(error: Any) -> web.Application:
    """Logs anyone in, then answers every other request with 400 and `error`."""

    async def login(_: web.Request) -> web.Response:
        return web.json_response(
            {"token": "t", "iat": 1_700_000_000, "exp": 4_000_000_000, "refresh_token": "r"}
        )

    async def other(_: web.Request) -> web.Response:
        return web.json_response(error, status=400)

    app = web.Application()
    app.router.add_post("/wms/auth/login/", login)
    app.router.add_route("*", "/{tail:.*}", other)
    return app


@pytest.mark.parametrize(
    "error",
    [
        {"code": 400, "message": f"nope{INJECTION}{SURROGATE}"},
        {"errors": {"url": [f"bad{INJECTION}"], "0": f"\x9b2J{SURROGATE}"}},
        {"detail": "\u2028FAKE LINE\x85FAKE LINE"},
    ],
    ids=["message", "field-errors", "line-separators"],
)
@pytest.mark.parametrize("command", [("list",), ("--json", "get", "x"), ("delete", "x")])
def test_error_messages_from_the_server_are_one_printable_line(
    cli: CLI, error: Any, command: tuple[str, ...]
) -> None:
    with serve(hostile_app(error)) as base_url:
        env = {
            "EWH_BASE_URL": base_url,
            "EWH_USERNAME": "u",
            "EWH_PASSWORD": "p",
            "EWH_WMS_CODE": "W",
            "EWH_CUSTOMER_CODE": "C",
        }
        ran = cli(*command, env=env)
    assert ran.code == 1
    line = ran.error_line  # one line, no traceback
    assert line.isprintable()
    assert not any(raw in ran.err for raw in RAW)

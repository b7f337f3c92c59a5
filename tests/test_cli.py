"""The CLI's commands, run in-process through `main([...])` against the emulator."""

from __future__ import annotations

import itertools
import json
import socket
from pathlib import Path

import pytest

from ewh_webhooks import sign
from ewh_webhooks.testing import EWHEmulator

from .cli_fixtures import CLI

SECRET = "s3cret-value-never-printed"


def create(cli: CLI, *extra: str, url: str = "https://e.test/h") -> dict[str, object]:
    ran = cli("create", "--url", url, "--topic", "order.shipped", "--json", *extra)
    assert ran.code == 0, ran.err
    hook: dict[str, object] = json.loads(ran.out)
    return hook


# --- output shapes


def test_json_is_an_object_for_one_webhook_and_an_array_for_list(
    cli: CLI, live_emulator: EWHEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EWH_HASH_SECRET", SECRET)
    hook = create(cli)
    assert hook["topic"] == "order.shipped"
    assert hook["url"] == "https://e.test/h"
    assert "hash_secret" not in hook

    got = cli("get", str(hook["id"]), "--json")
    assert json.loads(got.out)["id"] == hook["id"]
    updated = cli("update", str(hook["id"]), "--url", "https://e.test/v2", "--json")
    assert json.loads(updated.out)["url"] == "https://e.test/v2"
    listed = cli("list", "--json")
    assert [item["id"] for item in json.loads(listed.out)] == [hook["id"]]
    deleted = cli("delete", str(hook["id"]), "--json")
    assert json.loads(deleted.out) == {"deleted": hook["id"]}
    assert json.loads(cli("list", "--json").out) == []
    everything = "".join(r.out + r.err for r in (got, updated, listed, deleted))
    assert SECRET not in everything


def test_text_output_is_a_table_and_never_shows_the_secret(
    cli: CLI, live_emulator: EWHEmulator
) -> None:
    created = cli(
        "create",
        "--url",
        "https://e.test/h",
        "--topic",
        "order.shipped",
        env={"EWH_HASH_SECRET": SECRET},
    )
    assert created.code == 0, created.err
    assert created.out.split()[:3] == ["ID", "TOPIC", "URL"]
    assert "order.shipped  https://e.test/h" in created.out
    assert SECRET not in created.out + created.err
    assert "deleted " in cli("delete", created.out.split()[3]).out


def test_urls_with_a_password_are_printed_redacted(cli: CLI, live_emulator: EWHEmulator) -> None:
    # Seeded on the server: however it got there, the CLI must not show the password.
    live_emulator.state.add_webhook(
        "CUSTOMER1",
        url="https://alice:PASSW0RD@e.test/h",
        group="order",
        action="shipped",
        hash_secret=SECRET,
    )
    table = cli("list")
    as_json = cli("list", "--json")
    assert "https://alice:***@e.test/h" in table.out
    assert json.loads(as_json.out)[0]["url"] == "https://alice:***@e.test/h"
    for ran in (table, as_json):
        assert "PASSW0RD" not in ran.out + ran.err
        assert SECRET not in ran.out + ran.err


# --- global options


@pytest.mark.parametrize(
    "args",
    [
        ("--json", "list", "--emulator"),
        ("list", "--json", "--emulator"),
        ("--emulator", "--json", "list"),
        ("--emulator", "list", "--json"),
        ("--timeout", "5", "--retries", "0", "--emulator", "--json", "list"),
        ("list", "--timeout", "5", "--retries", "0", "--emulator", "--json"),
    ],
)
def test_global_options_work_before_or_after_the_command(cli: CLI, args: tuple[str, ...]) -> None:
    ran = cli(*args)
    assert ran.code == 0, ran.err
    assert json.loads(ran.out) == []


def test_customer_before_the_command_selects_the_customer(
    cli: CLI, live_emulator: EWHEmulator
) -> None:
    live_emulator.state.add_webhook(
        "CUSTOMER2", url="https://e.test/2", group="order", action="shipped", hash_secret="x"
    )
    assert json.loads(cli("--customer", "CUSTOMER2", "--json", "list").out)[0]["url"] == (
        "https://e.test/2"
    )
    assert json.loads(cli("list", "--json").out) == []


@pytest.mark.parametrize("before", [True, False])
@pytest.mark.parametrize(
    ("command", "option"),
    [
        (("demo",), ("--json",)),
        (("emulator",), ("--json",)),
        (("verify", "--signature", "x"), ("--json",)),
        (("demo",), ("--emulator",)),
        (("verify", "--signature", "x"), ("--base-url", "eu")),
        (("emulator",), ("--timeout", "3")),
    ],
)
def test_options_a_command_does_not_use_are_refused(
    cli: CLI, command: tuple[str, ...], option: tuple[str, ...], before: bool
) -> None:
    args = (*option, *command) if before else (*command, *option)
    ran = cli(*args)
    assert ran.code == 2
    verb = "supported by" if option[0] == "--json" else "used by"
    assert ran.error_line == f"error: {option[0]} is not {verb} {command[0]}"


# --- bad numbers: usage errors from argparse, never a traceback

LONG_NUMBER = "9" * 5000
BAD_VALUES = {"nan", "inf", "-inf", "0", "-1", "1e309", "99999", "-5", LONG_NUMBER}


@pytest.mark.parametrize(
    "args",
    [
        ("list", "--emulator", "--timeout", "nan"),
        ("list", "--emulator", "--timeout", "inf"),
        ("list", "--emulator", "--timeout", "-inf"),
        ("list", "--emulator", "--timeout", "0"),
        ("list", "--emulator", "--timeout", "-1"),
        ("list", "--emulator", "--timeout", "1e309"),
        ("--timeout", "nan", "list", "--emulator"),
        ("list", "--emulator", "--retries", "-1"),
        ("list", "--emulator", "--limit", "0"),
        ("list", "--emulator", "--limit", LONG_NUMBER),
        ("emulator", "--port", "99999"),
        ("emulator", "--port", "-1"),
        ("emulator", "--port", LONG_NUMBER),
        ("demo", "--count", "0"),
        ("demo", "--count", "-5"),
        ("demo", "--count", LONG_NUMBER),
        ("sync", "f.toml", "--emulator", "--concurrency", "0"),
    ],
)
def test_bad_numbers_are_usage_errors(cli: CLI, args: tuple[str, ...]) -> None:
    ran = cli(*args)
    assert ran.code == 2
    assert "Traceback" not in ran.err
    flag = next(a for a, value in itertools.pairwise(args) if value in BAD_VALUES)
    assert f"argument {flag}" in ran.err.splitlines()[-1]
    assert LONG_NUMBER not in ran.err  # quoted shortly, if at all


# --- errors: one line, exit 2 for a mistake, 1 for a failed call

CREDS = {"EWH_USERNAME": "u", "EWH_PASSWORD": "pw-SECRET", "EWH_WMS_CODE": "w"}


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (
            ("list",),
            {},
            "error: missing settings: --username or EWH_USERNAME, --password or EWH_PASSWORD, "
            "--wms-code or EWH_WMS_CODE, --customer or EWH_CUSTOMER_CODE (or use --emulator)",
        ),
        (
            ("create", "--emulator", "--url", "https://e.test/", "--topic", "order.shipped"),
            {},
            "error: environment variable EWH_HASH_SECRET (the webhook secret) is not set",
        ),
        (
            ("create", "--emulator", "--url", "https://e.test/", "--topic", "order"),
            {"EWH_HASH_SECRET": "s"},
            "error: --topic must look like 'order.shipped', got 'order'",
        ),
        (("update", "--emulator", "some-id"), {}, "error: nothing to change"),
        (
            ("list", "--base-url", "http://api.test"),
            {**CREDS, "EWH_CUSTOMER_CODE": "c"},
            "--base-url",
        ),
        (("sync", "/nonexistent.toml", "--emulator"), {}, "error: cannot read /nonexistent.toml"),
    ],
)
def test_user_mistakes_print_one_line_and_exit_2(
    cli: CLI, args: tuple[str, ...], env: dict[str, str], expected: str
) -> None:
    ran = cli(*args, env=env)
    assert ran.code == 2
    assert ran.error_line.startswith(expected) or expected in ran.error_line
    assert "base_url" not in ran.err  # flags, not Python parameters


def test_an_unknown_topic_names_the_flag_not_the_parameter(cli: CLI) -> None:
    args = ("create", "--emulator", "--url", "https://e.test/", "--topic", "order.exploded")
    refused = cli(*args, env={"EWH_HASH_SECRET": "s"})
    assert refused.code == 2
    assert "--no-validate-topic" in refused.error_line
    assert "validate_topic=False" not in refused.err
    # The flag skips the client's check: the request is sent (and the emulator, which
    # knows only the documented topics, answers 400).
    sent = cli(*args, "--no-validate-topic")
    assert sent.error_line.startswith("error: POST /webhooks/ failed: 400")


def test_a_url_with_credentials_needs_the_flag(cli: CLI) -> None:
    url = "https://bob:PASSW0RD@e.test/h"
    args = ("create", "--emulator", "--url", url, "--topic", "order.shipped")
    refused = cli(*args, env={"EWH_HASH_SECRET": "s"})
    assert refused.code == 2
    assert "--allow-credentials" in refused.error_line
    assert "allow_credentials=True" not in refused.err
    # The flag skips the client's check: the request is sent, and the emulator (which
    # checks only what the vendor documents: https) stores it; the output redacts it.
    sent = cli(*args, "--allow-credentials")
    assert sent.code == 0
    assert "https://bob:***@e.test/h" in sent.out
    for ran in (refused, sent):
        assert "PASSW0RD" not in ran.out + ran.err


def test_api_errors_exit_1(cli: CLI) -> None:
    ran = cli("get", "--emulator", "no-such-id")
    assert ran.code == 1
    assert ran.error_line == "error: GET /webhooks/no-such-id/ failed: 404 Not Found"


def test_a_connection_error_names_the_host_and_no_credentials(cli: CLI) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    ran = cli(
        "list",
        "--retries",
        "0",
        "--base-url",
        f"http://127.0.0.1:{port}",
        env={**CREDS, "EWH_CUSTOMER_CODE": "c"},
    )
    assert ran.code == 1
    assert ran.error_line.startswith(f"error: cannot reach 127.0.0.1:{port}: ")
    assert "pw-SECRET" not in ran.err


def test_a_port_in_use_is_one_line(cli: CLI) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        ran = cli("emulator", "--port", str(port))
    assert ran.code == 1
    assert ran.error_line.startswith(f"error: cannot listen on 127.0.0.1:{port}: ")


# --- verify


def test_verify_reads_the_body_from_stdin_or_a_file(cli: CLI, tmp_path: Path) -> None:
    body = b'{"group": "order"}'
    env = {"EWH_HASH_SECRET": "k"}
    ok = cli("verify", "--signature", sign(body, "k"), env=env, stdin=body)
    assert (ok.code, ok.out) == (0, "signature valid\n")
    path = tmp_path / "body.json"
    path.write_bytes(body)
    assert cli("verify", "--signature", sign(body, "k"), str(path)).code == 0
    bad = cli("verify", "--signature", sign(body, "other"), str(path))
    assert bad.code == 1
    assert "does not match" in bad.error_line


@pytest.mark.parametrize(
    ("path", "fragment"), [("/dev/zero", "larger than 10 MiB"), ("/", "cannot read /")]
)
def test_verify_refuses_what_is_not_a_body(cli: CLI, path: str, fragment: str) -> None:
    ran = cli("verify", "--signature", "x", path, env={"EWH_HASH_SECRET": "k"})
    assert ran.code == 2
    assert fragment in ran.error_line


# --- logging


def test_verbose_logs_this_package_through_its_own_logger(cli: CLI) -> None:
    import logging

    root_level = logging.getLogger().level
    ran = cli("-v", "list", "--emulator")
    assert ran.code == 0
    assert " ewh_webhooks" in ran.err  # debug lines of requests
    assert "DEBUG" in ran.err
    assert logging.getLogger().level == root_level
    package = logging.getLogger("ewh_webhooks")
    assert package.handlers == []
    assert package.level == logging.NOTSET
    assert package.propagate


def test_version(cli: CLI) -> None:
    ran = cli("--version")
    assert ran.code == 0
    assert ran.out.startswith("ewh-webhooks ")


def test_demo_tours_the_sdk_with_short_summaries(cli: CLI) -> None:
    ran = cli("demo", "--count", "30")
    assert ran.code == 0, ran.err
    out = ran.out
    assert "created 30 webhooks; first: " in out
    assert "listed 30 webhooks in 2 page requests" in out
    assert "received order.shipped for entity 1001 (evt-1)" in out
    assert "body changed after signing: the receiver answered 401; handler calls: 0" in out
    assert "events handled: 1; tampered deliveries rejected with 401: 1" in out
    assert "no errors reached the caller" in out
    assert "Webhook(" not in out  # summaries, not reprs

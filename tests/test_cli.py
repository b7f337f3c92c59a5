"""The CLI, run as a subprocess the way users run it; the sync file parser with tables."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ewh_webhooks import InvalidArgumentError, sign
from ewh_webhooks.cli.specfile import load_spec_file, parse_spec_document


def run(
    *args: str, env: dict[str, str] | None = None, stdin: bytes | None = None
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("EWH_")}
    base.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "ewh_webhooks", *args],
        capture_output=True,
        env=base,
        timeout=60,
        input=stdin.decode() if stdin is not None else None,
        text=True,
    )


def test_demo_runs_end_to_end() -> None:
    result = run("demo", "--count", "30")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "created 30" in out
    assert "listed 30 webhooks in 2 page requests" in out
    assert "received order.shipped for entity 1001 (evt-1)" in out
    assert "no errors reached the caller" in out
    assert "Traceback" not in result.stderr


def test_create_then_list_as_json_against_the_embedded_emulator() -> None:
    result = run(
        "create",
        "--emulator",
        "--url",
        "https://e.test/h",
        "--topic",
        "order.shipped",
        "--json",
        env={"EWH_HASH_SECRET": "s3cret"},
    )
    assert result.returncode == 0, result.stderr
    (hook,) = json.loads(result.stdout)
    assert hook["topic"] == "order.shipped"
    assert "hash_secret" not in hook
    assert "s3cret" not in result.stdout


def test_list_prints_a_table() -> None:
    result = run("list", "--emulator")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["ID", "TOPIC", "URL"]


@pytest.mark.parametrize(
    ("args", "env", "fragment"),
    [
        (("list",), {}, "missing environment variables: EWH_USERNAME"),
        (
            ("create", "--emulator", "--url", "https://e.test/", "--topic", "order.shipped"),
            {},
            "EWH_HASH_SECRET",
        ),
        (
            ("create", "--emulator", "--url", "http://e.test/", "--topic", "order.shipped"),
            {"EWH_HASH_SECRET": "s"},
            "https",
        ),
        (
            ("create", "--emulator", "--url", "https://e.test/", "--topic", "order"),
            {"EWH_HASH_SECRET": "s"},
            "order.shipped",
        ),
        (
            ("list", "--base-url", "http://api.test"),
            {
                "EWH_USERNAME": "u",
                "EWH_PASSWORD": "p",
                "EWH_WMS_CODE": "w",
                "EWH_CUSTOMER_CODE": "c",
            },
            "https",
        ),
        (("sync", "/nonexistent.toml", "--emulator"), {}, "cannot read"),
    ],
)
def test_user_mistakes_print_one_line_and_exit_2(
    args: tuple[str, ...], env: dict[str, str], fragment: str
) -> None:
    result = run(*args, env=env)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_api_errors_exit_1() -> None:
    result = run("get", "--emulator", "no-such-id")
    assert result.returncode == 1
    assert result.stderr.strip() == "error: GET /webhooks/no-such-id/ failed: 404 Not Found"


def test_verify_reads_the_body_from_stdin() -> None:
    body = b'{"group": "order"}'
    ok = run("verify", "--signature", sign(body, "k"), env={"EWH_HASH_SECRET": "k"}, stdin=body)
    assert ok.returncode == 0
    assert "signature valid" in ok.stdout
    bad = run(
        "verify", "--signature", sign(body, "other"), env={"EWH_HASH_SECRET": "k"}, stdin=body
    )
    assert bad.returncode == 1
    assert "does not match" in bad.stderr


def test_sync_file_dry_run_then_apply(tmp_path: Path) -> None:
    path = tmp_path / "hooks.toml"
    path.write_text(
        """
[[webhooks]]
url = "https://e.test/orders"
topic = "order.shipped"
hash_secret = "${ORDER_SECRET}"

[customers.CUSTOMER2]
webhooks = [
  { url = "https://e.test/stock", group = "stock", action = "updated", hash_secret_env = "STOCK_SECRET" },
]
"""
    )
    env = {"ORDER_SECRET": "o", "STOCK_SECRET": "st"}
    dry = run("sync", str(path), "--emulator", "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    assert "CUSTOMER1: dry run: 1 to create" in dry.stdout
    assert "create: order.shipped https://e.test/orders" in dry.stdout
    real = run("sync", str(path), "--emulator", "--prune", env=env)
    assert real.returncode == 0, real.stderr
    assert "CUSTOMER2: 1 created, 0 updated, 0 deleted, 0 unchanged, 0 failed" in real.stdout


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("ewh-webhooks ")


ENV = {"S": "secret-value"}


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        ({}, "lists no webhooks"),
        ({"hooks": []}, "unknown top-level keys"),
        ({"webhooks": [{"topic": "order.shipped", "hash_secret": "x"}]}, "url is required"),
        (
            {"webhooks": [{"url": "https://e.test/", "topic": "order", "hash_secret": "x"}]},
            "topic must look like",
        ),
        (
            {"webhooks": [{"url": "https://e.test/", "group": "order", "hash_secret": "x"}]},
            "give topic",
        ),
        (
            {"webhooks": [{"url": "https://e.test/", "topic": "order.shipped"}]},
            "hash_secret or hash_secret_env",
        ),
        (
            {
                "webhooks": [
                    {
                        "url": "https://e.test/",
                        "topic": "order.shipped",
                        "hash_secret": "${MISSING}",
                    }
                ]
            },
            "MISSING is not set",
        ),
        (
            {
                "webhooks": [
                    {"url": "https://e.test/", "topic": "order.shipped", "hash_secret_env": "NOPE"}
                ]
            },
            "NOPE is not set",
        ),
        (
            {"webhooks": [{"url": "https://e.test/", "topic": "order.shipped", "secret": "x"}]},
            "unknown keys",
        ),
        ({"customers": {"C": {}}}, "needs a webhooks array"),
        ({"webhooks": {"url": "x"}}, "array of tables"),
    ],
)
def test_spec_file_errors_name_the_place(document: dict[str, object], fragment: str) -> None:
    with pytest.raises(InvalidArgumentError, match=fragment):
        parse_spec_document(document, default_customer="C1", env=ENV)


def test_spec_file_expands_secrets_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "f.toml"
    path.write_text(
        '[[webhooks]]\nurl = "https://e.test/"\ntopic = "order.shipped"\nhash_secret = "${S}"\n'
    )
    specs = load_spec_file(path, default_customer="C1", env=ENV)
    assert specs["C1"][0].hash_secret == "secret-value"
    assert "secret-value" not in repr(specs)


def test_spec_file_with_bad_toml(tmp_path: Path) -> None:
    path = tmp_path / "f.toml"
    path.write_text("[[webhooks]\n")
    with pytest.raises(InvalidArgumentError, match="not valid TOML"):
        load_spec_file(path, default_customer="C1", env=ENV)


async def test_standalone_emulator_serves_until_interrupted() -> None:
    import asyncio
    import signal

    from ewh_webhooks import EWHClient

    env = {k: v for k, v in os.environ.items() if not k.startswith("EWH_")}
    proc = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "ewh_webhooks", "emulator", "--port", "0"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None
    try:
        lines = [(await asyncio.wait_for(proc.stdout.readline(), 30)).decode() for _ in range(7)]
        settings = dict(line.strip().split("=", 1) for line in lines if "=" in line)
        assert settings["EWH_BASE_URL"].startswith("http://127.0.0.1:")
        customer = settings["EWH_CUSTOMER_CODE"].split()[0]
        async with EWHClient(
            username=settings["EWH_USERNAME"],
            password=settings["EWH_PASSWORD"],
            wms_code=settings["EWH_WMS_CODE"],
            customer_code=customer,
            base_url=settings["EWH_BASE_URL"],
        ) as client:
            assert (await client.webhooks.list_page()).count == 0
    finally:
        proc.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 130
    assert b"Traceback" not in stderr

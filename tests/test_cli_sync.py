"""`ewh-webhooks sync`: the sync file (tables, hostile files, Hypothesis) and the command."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ewh_webhooks import InvalidArgumentError
from ewh_webhooks.cli.specfile import load_spec_file, parse_spec_document, parse_toml
from ewh_webhooks.testing import EWHEmulator

from .cli_fixtures import CLI

ENV = {"S": "secret-value"}
HOOK = {"url": "https://e.test/", "topic": "order.shipped", "hash_secret": "x"}


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        ({}, "lists no webhooks"),
        ({"hooks": []}, "unknown top-level keys"),
        ({"webhooks": [{"topic": "order.shipped", "hash_secret": "x"}]}, "url is required"),
        ({"webhooks": [{**HOOK, "topic": "order"}]}, "topic must look like"),
        (
            {"webhooks": [{"url": "https://e.test/", "group": "order", "hash_secret": "x"}]},
            "give topic",
        ),
        ({"webhooks": [{"url": "https://e.test/", "topic": "order.shipped"}]}, "hash_secret or"),
        ({"webhooks": [{**HOOK, "hash_secret": "${MISSING}"}]}, "MISSING is not set"),
        (
            {"webhooks": [{"url": "https://e.test/", "topic": "a.b", "hash_secret_env": "NOPE"}]},
            "NOPE is not set",
        ),
        ({"webhooks": [{**HOOK, "secret": "x"}]}, "unknown keys"),
        ({"customers": {"C": {}}}, "needs a webhooks array"),
        ({"customers": {" ": {"webhooks": [HOOK]}}}, "must not be empty"),
        ({"webhooks": {"url": "x"}}, "array of tables"),
        ({"webhooks": [HOOK], "validate_topic": "no"}, "validate_topic must be true or false"),
        ({"webhooks": [HOOK], "allow_credentials": 1}, "allow_credentials must be true or false"),
    ],
)
def test_spec_file_errors_name_the_place(document: dict[str, Any], fragment: str) -> None:
    with pytest.raises(InvalidArgumentError, match=fragment):
        parse_spec_document(document, default_customer="C1", env=ENV)


def test_validate_topic_defaults_to_true_and_is_read_from_the_top_level() -> None:
    assert parse_spec_document({"webhooks": [HOOK]}, default_customer="C", env={}).validate_topic
    off = parse_spec_document(
        {"webhooks": [HOOK], "validate_topic": False}, default_customer="C", env={}
    )
    assert off.validate_topic is False


def test_spec_file_expands_secrets_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "f.toml"
    path.write_text(
        '[[webhooks]]\nurl = "https://e.test/"\ntopic = "order.shipped"\nhash_secret = "${S}"\n'
    )
    specs = load_spec_file(path, default_customer="C1", env=ENV)
    assert specs.customers["C1"][0].hash_secret == "secret-value"
    assert "secret-value" not in repr(specs)


def test_a_byte_order_mark_is_allowed(tmp_path: Path) -> None:
    path = tmp_path / "f.toml"
    path.write_bytes(b'\xef\xbb\xbf[[webhooks]]\nurl = "https://e.test/"\ntopic = "a.b"\n')
    with pytest.raises(InvalidArgumentError, match="hash_secret or"):  # parsed past the BOM
        load_spec_file(path, default_customer="C1", env=ENV)


# --- hostile files: one line each, exit 2, never a traceback

HOSTILE: list[tuple[str, bytes | None, str]] = [
    ("latin-1", "url = 'https://e.test/caf\xe9'".encode("latin-1"), "is not UTF-8 text"),
    ("binary", bytes(range(256)), "is not UTF-8 text"),
    ("nul bytes", b"a = 1\x00\x00\x00", "is not valid TOML"),
    ("bad toml", b"[[webhooks]\n", "is not valid TOML"),
    ("deep arrays", b"a = " + b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ("deep tables", b"a = " + b"{b=" * 50_000 + b"1" + b"}" * 50_000, "nested too deeply"),
    ("5,000 digits", b"a = " + b"7" * 5000, "is not valid TOML: Exceeds the limit"),
    ("empty", b"", "the file lists no webhooks"),
    ("a directory", None, "Is a directory"),
]


@pytest.mark.parametrize(
    ("content", "fragment"), [(c, f) for _, c, f in HOSTILE], ids=[i for i, _, _ in HOSTILE]
)
def test_hostile_sync_files_get_one_line(
    cli: CLI, tmp_path: Path, content: bytes | None, fragment: str
) -> None:
    path = tmp_path / "f.toml"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    ran = cli("sync", str(path), "--emulator", "--dry-run")
    assert ran.code == 2
    assert fragment in ran.error_line


def test_dev_zero_is_read_up_to_the_cap_only(cli: CLI) -> None:
    ran = cli("sync", "/dev/zero", "--emulator")
    assert ran.code == 2
    assert ran.error_line == "error: /dev/zero is larger than 4 MiB"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_parses_or_is_our_error(text: str) -> None:
    with contextlib.suppress(InvalidArgumentError):
        parse_toml(text, name="f.toml")


toml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
documents = st.dictionaries(
    st.sampled_from(["webhooks", "customers", "validate_topic", "other"]), toml_values, max_size=3
) | st.fixed_dictionaries(
    {
        "webhooks": st.lists(
            st.dictionaries(
                st.sampled_from([*sorted(HOOK), "group", "action", "hash_secret_env"]), toml_values
            ),
            max_size=3,
        )
    }
)


@settings(max_examples=300, deadline=None)
@given(documents)
def test_any_document_gives_specs_or_our_error(document: dict[str, Any]) -> None:
    with contextlib.suppress(InvalidArgumentError):
        parse_spec_document(document, default_customer="C1", env=ENV)


# --- the command

FILE = """
[[webhooks]]
url = "https://e.test/orders"
topic = "order.shipped"
hash_secret = "${ORDER_SECRET}"

[customers.CUSTOMER2]
webhooks = [
  { url = "https://e.test/stock", group = "stock", action = "updated", hash_secret_env = "STOCK_SECRET" },
]
"""
SECRETS = {"ORDER_SECRET": "order-SECRET", "STOCK_SECRET": "stock-SECRET"}


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "hooks.toml"
    path.write_text(text)
    return str(path)


def test_sync_dry_run_then_apply(cli: CLI, tmp_path: Path, live_emulator: EWHEmulator) -> None:
    path = write(tmp_path, FILE)
    dry = cli("sync", path, "--dry-run", env=SECRETS)
    assert dry.code == 0, dry.err
    assert dry.out.splitlines() == [
        "CUSTOMER1: dry run: 1 to create, 0 to update, 0 to delete, 0 unchanged",
        "  create: order.shipped https://e.test/orders",
        "CUSTOMER2: dry run: 1 to create, 0 to update, 0 to delete, 0 unchanged",
        "  create: stock.updated https://e.test/stock",
    ]
    assert live_emulator.state.count_requests("POST", "/webhooks/") == 0
    real = cli("sync", path, "--prune")
    assert real.code == 0, real.err
    assert "CUSTOMER2: 1 created, 0 updated, 0 deleted, 0 unchanged, 0 failed" in real.out
    again = cli("sync", path, "--prune", "--json")
    report = json.loads(again.out)
    assert report["ok"] is True
    assert [c["planned"]["unchanged"] for c in report["customers"]] == [1, 1]
    for ran in (dry, real, again):
        assert "SECRET" not in ran.out + ran.err


def test_sync_json_reports_each_action(
    cli: CLI, tmp_path: Path, live_emulator: EWHEmulator
) -> None:
    old = live_emulator.state.add_webhook(
        "CUSTOMER1",
        url="https://bob:PASSW0RD@e.test/old",
        group="stock",
        action="updated",
        hash_secret="x",
    )
    ran = cli("--json", "sync", write(tmp_path, FILE), "--prune", env=SECRETS)
    assert ran.code == 0, ran.err
    report = json.loads(ran.out)
    assert report["ok"] is True
    assert report["dry_run"] is False
    first = report["customers"][0]
    assert first["customer"] == "CUSTOMER1"
    assert first["error"] is None
    assert first["planned"] == {"create": 1, "update": 0, "delete": 1, "unchanged": 0}
    assert first["actions"] == [
        {
            "kind": "create",
            "id": None,
            "topic": "order.shipped",
            "url": "https://e.test/orders",
            "status": "done",
            "error": None,
        },
        {
            "kind": "delete",
            "id": old.id,
            "topic": "stock.updated",
            "url": "https://bob:***@e.test/old",
            "status": "done",
            "error": None,
        },
    ]
    assert "PASSW0RD" not in ran.out


def test_a_dry_run_shows_moves_and_redacts_passwords(
    cli: CLI, tmp_path: Path, live_emulator: EWHEmulator
) -> None:
    old = live_emulator.state.add_webhook(
        "CUSTOMER1",
        url="https://bob:PASSW0RD@e.test/old",
        group="order",
        action="shipped",
        hash_secret="x",
    )
    text = FILE.split("[customers")[0]
    ran = cli("sync", write(tmp_path, text), "--prune", "--dry-run", env=SECRETS)
    assert ran.out.splitlines()[1] == (
        f"  update {old.id}: order.shipped https://bob:***@e.test/old -> https://e.test/orders"
    )
    assert "PASSW0RD" not in ran.out + ran.err


def test_a_customer_whose_listing_fails_shows_its_error_not_a_plan(
    cli: CLI, tmp_path: Path
) -> None:
    text = FILE.replace("CUSTOMER2", "NOT_MINE")
    ran = cli("sync", write(tmp_path, text), "--emulator", "--dry-run", env=SECRETS)
    assert ran.code == 1
    first, _action, failed = ran.out.splitlines()  # no plan, no summary for NOT_MINE
    assert first.startswith("CUSTOMER1: dry run: 1 to create")
    assert failed.startswith("NOT_MINE: failed before any change: GET /webhooks/")
    assert "403 Forbidden" in failed
    as_json = json.loads(cli("sync", write(tmp_path, text), "--emulator", "--json").out)
    assert as_json["ok"] is False
    assert as_json["customers"][1]["planned"] is None
    assert "403" in as_json["customers"][1]["error"]


@pytest.mark.parametrize(
    ("url", "topic", "flag", "key", "parameter"),
    [
        (
            "https://e.test/",
            "order.exploded",
            "--no-validate-topic",
            "validate_topic = false",
            "validate_topic=False",
        ),
        (
            "https://bob:PASSW0RD@e.test/",
            "order.shipped",
            "--allow-credentials",
            "allow_credentials = true",
            "allow_credentials=True",
        ),
    ],
    ids=["unknown topic", "credentials in the url"],
)
def test_a_refused_spec_names_the_flag_and_the_file_key(
    cli: CLI, tmp_path: Path, url: str, topic: str, flag: str, key: str, parameter: str
) -> None:
    text = f'[[webhooks]]\nurl = "{url}"\ntopic = "{topic}"\nhash_secret = "x"\n'
    path = write(tmp_path, text)
    refused = cli("sync", path, "--emulator", "--dry-run")
    assert refused.code == 2
    assert f"{flag} (or {key} in the file)" in refused.error_line
    assert parameter not in refused.err
    by_flag = cli("sync", path, "--emulator", "--dry-run", flag)
    assert by_flag.code == 0, by_flag.err
    by_file = cli("sync", write(tmp_path, f"{key}\n{text}"), "--emulator", "--dry-run")
    assert by_file.code == 0, by_file.err
    assert "1 to create" in by_file.out
    for ran in (refused, by_flag, by_file):
        assert "PASSW0RD" not in ran.out + ran.err

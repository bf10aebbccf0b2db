"""The terminal's key pair, identity facts and saved enrolment state."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from provisioning.identity import (
    KEY_FILE,
    STATE_FILE,
    EnrolmentState,
    IdentityError,
    TerminalIdentity,
    identity_facts,
    load_state,
    save_state,
)


def test_key_is_created_once_with_owner_only_permissions(tmp_path: Path) -> None:
    first = TerminalIdentity.load_or_create(tmp_path / "data")
    mode = stat.S_IMODE((tmp_path / "data" / KEY_FILE).stat().st_mode)
    assert mode == 0o600
    again = TerminalIdentity.load_or_create(tmp_path / "data")
    assert again.public_key == first.public_key and len(first.public_key) == 32
    assert len(first.device_id) == 64
    assert [p.name for p in (tmp_path / "data").iterdir()] == [KEY_FILE]  # no temporary left


def test_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    TerminalIdentity.load_or_create(tmp_path)
    os.chmod(tmp_path / KEY_FILE, 0o644)
    with pytest.raises(IdentityError, match="accessible to other users .*chmod 600"):
        TerminalIdentity.load_or_create(tmp_path)


def test_a_damaged_key_is_refused(tmp_path: Path) -> None:
    (tmp_path / KEY_FILE).write_bytes(b"not a key")
    os.chmod(tmp_path / KEY_FILE, 0o600)
    with pytest.raises(IdentityError, match="not a readable private key"):
        TerminalIdentity.load_or_create(tmp_path)


def test_facts_from_sysfs(tmp_path: Path) -> None:
    net = tmp_path / "class" / "net"
    for name, address in [("lo", "00:00:00:00:00:00"), ("ib0", "80:00:02:08:fe:80:00:00:00"),
                          ("enp1s0", "52:54:00:AB:CD:EF"),
                          ("wlp2s0", "52:54:00:00:00:01")]:
        (net / name).mkdir(parents=True)
        (net / name / "address").write_text(address + "\n")
    facts = identity_facts(tmp_path)
    assert facts["mac"] == "52:54:00:ab:cd:ef" and facts["serial"] == ""
    assert facts["hostname"]
    dmi = tmp_path / "class" / "dmi" / "id"
    dmi.mkdir(parents=True)
    (dmi / "product_serial").write_text("SN12345\n")
    assert identity_facts(tmp_path)["serial"] == "SN12345"
    assert identity_facts(tmp_path / "missing") == {**facts, "mac": ""}


def test_state_is_saved_atomically(tmp_path: Path) -> None:
    assert load_state(tmp_path) == EnrolmentState()
    state = EnrolmentState("http://server", "accepted", "H-001", "query", "a2V5")
    save_state(tmp_path, state)
    assert load_state(tmp_path) == state and state.may_send
    assert sorted(p.name for p in tmp_path.iterdir()) == [STATE_FILE]
    (tmp_path / STATE_FILE).write_text("{broken")
    with pytest.raises(IdentityError, match="unreadable enrolment state"):
        load_state(tmp_path)

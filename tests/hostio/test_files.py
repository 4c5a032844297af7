"""Config files changed safely: atomic, 0600, and never over someone else's change."""

from __future__ import annotations

import os
import stat

import pytest

from wg_py.errors import PeerAdminError
from wg_py.hostio.files import locked_edit, write_new_private


def test_commit_replaces_atomically_with_tight_mode(tmp_path):
    path = tmp_path / "wg0.conf"
    path.write_text("old\n")
    path.chmod(0o644)
    with locked_edit(str(path)) as edit:
        assert edit.text == "old\n"
        edit.commit("new\n")
    assert path.read_text() == "new\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert os.listdir(tmp_path) == ["wg0.conf"]


def test_a_change_underneath_is_never_overwritten(tmp_path):
    path = tmp_path / "wg0.conf"
    path.write_text("old\n")
    with locked_edit(str(path)) as edit:
        path.write_text("someone else's edit\n")          # an editor that takes no lock
        with pytest.raises(PeerAdminError) as e:
            edit.commit("ours\n")
    assert e.value.kind == "changed"
    assert path.read_text() == "someone else's edit\n"
    assert os.listdir(tmp_path) == ["wg0.conf"]


def test_missing_file_and_existing_client_file(tmp_path):
    with pytest.raises(PeerAdminError) as e:
        with locked_edit(str(tmp_path / "none.conf")):
            pass
    assert (e.value.kind, e.value.errno) == ("io", 2)
    client = tmp_path / "c.conf"
    write_new_private(str(client), "secret\n")
    assert stat.S_IMODE(client.stat().st_mode) == 0o600
    with pytest.raises(PeerAdminError) as e:
        write_new_private(str(client), "other\n")
    assert e.value.kind == "client-exists" and client.read_text() == "secret\n"

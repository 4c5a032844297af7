"""wg_py/hostio/keyfile.py: key files side by side with the real wg."""

from __future__ import annotations

from tests.support.configs import *  # noqa: F403 - the shared keys, tools and helpers


@pytest.fixture(autouse=True)
def no_resolution_retries(monkeypatch):
    """A service name getaddrinfo does not know is a *transient* error to wg (it retries for
    minutes by default); both tools, ours and the real one, read the variable from here."""
    monkeypatch.setenv("WG_ENDPOINT_RESOLUTION_RETRIES", "0")



# --- key files -------------------------------------------------------------------------------

KEY_FILES = {
    "good": K.encode() + b"\n",
    "good-spaces": K.encode() + b" \t\r\n\v\f  \n",
    "empty": b"",
    "short": K[:43].encode(),
    "trailing": K.encode() + b"\nx",
    "trailing-nul": K.encode() + b"\0",
    "trailing-high": K.encode() + b" \xe9",
    "nul-inside": K[:20].encode() + b"\0" + K[21:].encode(),
    "bad-format": b"!" * 44,
    "noncanonical": NONCANON.encode(),
}


def ours_key_file(path: str) -> tuple[bytes, int]:
    try:
        read_key_file(path)
    except WgError as e:
        return (render(e) + "\n").encode("utf-8", "surrogateescape"), 1
    return b"", 0


def assert_key_file_same(path: str, stdin=None) -> None:
    r = real(REAL_WG, "set", NO_IFACE, "private-key", path, stdin=stdin)
    out, status = ours_key_file(path)
    if status == 0:
        assert r.stderr.startswith(MODIFY_FAILED), (path, r.stderr)
    else:
        assert r.stderr == out, path


@oracle
@pytest.mark.parametrize("name", sorted(KEY_FILES))
def test_key_file_same_as_real_wg(name, tmp_path):
    path = tmp_path / name
    path.write_bytes(KEY_FILES[name])
    assert_key_file_same(str(path))


@oracle
@pytest.mark.parametrize("path", ["/dev/null", "/nonexistent/key", "/tmp"])
def test_special_key_paths_same_as_real_wg(path):
    assert_key_file_same(path)


@oracle
@pytest.mark.parametrize("content", [b"", K.encode() + b"\n", b"short"])
def test_key_file_from_a_fifo_same_as_real_wg(content, tmp_path):
    """Process substitution `<(echo KEY)`: a pipe, which cannot tell its offset."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    results = []
    for reader in ("real", "ours"):
        writer = subprocess.Popen(["sh", "-c", f"cat > {fifo}"], stdin=subprocess.PIPE)
        writer.stdin.write(content)
        writer.stdin.close()
        if reader == "real":
            r = real(REAL_WG, "set", NO_IFACE, "private-key", str(fifo))
            results.append(b"ok" if r.stderr.startswith(MODIFY_FAILED) else r.stderr)
        else:
            out, status = ours_key_file(str(fifo))
            results.append(b"ok" if status == 0 else out)
        writer.wait(timeout=5)
    assert results[0] == results[1]


def test_key_file_values(tmp_path):
    (tmp_path / "k").write_bytes(b"\n" if False else K.encode() + b"  \n")
    assert read_key_file(str(tmp_path / "k")) == key_from_base64(K)
    (tmp_path / "e").write_bytes(b"")
    assert read_key_file(str(tmp_path / "e")) == ZERO_KEY
    assert read_key_file("/dev/null") == ZERO_KEY
    r, w = os.pipe()
    os.write(w, K.encode() + b"\n")
    os.close(w)
    try:
        assert read_key_file(f"/dev/fd/{r}") == key_from_base64(K)
    finally:
        os.close(r)
    with pytest.raises(KeyFileError) as e:
        read_key_file(str(tmp_path / "missing"))
    assert render(e.value) == "fopen: No such file or directory"



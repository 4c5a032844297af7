"""Config files changed safely: one writer at a time, never lost, never half written.

`locked_edit(path)` is how `wg-py peer ...` changes a server's config:

- an exclusive `flock` on the file's directory serialises wg-py processes (the directory,
  not the file, because the file is replaced by rename and a lock on the old inode would
  not stop the next writer);
- the new text goes to a temporary file beside the old one (mode 0600, the old owner),
  is fsynced, and renamed over it, and the directory is fsynced: a crash leaves the old
  file or the new one, never a truncated one;
- just before the rename the file is read again: if anyone (an editor, a tool that does
  not lock) changed it since we read it, nothing is written (PeerAdminError "changed").
"""

from __future__ import annotations

import errno as _errno
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

from wg_py.errors import PeerAdminError


class Edit:
    """The file's text as read under the lock; `commit(new)` replaces it."""

    def __init__(self, path: str, data: bytes) -> None:
        self.path, self.data = path, data
        self.text = data.decode("utf-8", "surrogateescape")
        self.committed = False

    def commit(self, text: str) -> None:
        new = text.encode("utf-8", "surrogateescape")
        directory = os.path.dirname(os.path.abspath(self.path))
        temp = os.path.join(directory, f".{os.path.basename(self.path)}.wg-py-{os.getpid()}")
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        except OSError as e:
            raise PeerAdminError("io", temp, e.errno) from None
        try:
            try:
                st = os.stat(self.path)
                os.fchown(fd, st.st_uid, st.st_gid)
            except OSError:
                pass
            view = memoryview(new)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
            os.close(fd)
            fd = -1
            if _read(self.path) != self.data:
                raise PeerAdminError("changed", self.path)
            os.replace(temp, self.path)
        except OSError as e:
            raise PeerAdminError("io", self.path, e.errno) from None
        finally:
            if fd >= 0:
                os.close(fd)
            if os.path.exists(temp):
                os.unlink(temp)
        _fsync_dir(directory)
        self.committed = True


@contextmanager
def locked_edit(path: str) -> Iterator[Edit]:
    """Lock the file's directory, read the file, yield an Edit; unlock on the way out."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        lock = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as e:
        raise PeerAdminError("io", directory, e.errno) from None
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            data = _read(path)
        except OSError as e:
            raise PeerAdminError("io", path, e.errno) from None
        yield Edit(path, data)
    finally:
        os.close(lock)


def write_new_private(path: str, text: str) -> None:
    """Create `path` (mode 0600; PeerAdminError "client-exists" if it exists) holding text."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        raise PeerAdminError("client-exists", path) from None
    except OSError as e:
        raise PeerAdminError("io", path, e.errno) from None
    try:
        os.write(fd, text.encode())
        os.fsync(fd)
    except OSError as e:
        os.close(fd)
        os.unlink(path)
        raise PeerAdminError("io", path, e.errno) from None
    os.close(fd)


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _fsync_dir(directory: str) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as e:
        if e.errno != _errno.EINVAL:
            raise
    finally:
        os.close(fd)

"""File primitives every piece of stored state shares: atomic writes, inter-process locks, plain-file checks.

A leaf module (it imports nothing of the project), used by the results store and the embedding cache.

Locks are POSIX ``flock`` locks whose file is removed on release, so no lock file outlives its
holder (the kill-and-resume suite checks that nothing is left behind; ``filelock`` keeps its lock
files, one per result file and cache entry). The holder writes its pid, host and start time into
the lock file; a waiter prints who holds the lock once, gives up when the holder is a stopped
process on this host or the wait passes its timeout, and never waits silently. A holder that dies
loses its ``flock`` with its process, so its lock is taken over at once.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

_TMP_SUFFIX = ".tmp"
LOCK_TIMEOUT_ENV = "MIEB_LOCK_TIMEOUT"
FALSE_WORDS = frozenset({"0", "false", "no", "off"})  # how an environment variable turns a setting off


class LockTimeout(OSError):
    """A lock could not be taken in time; the message names its holder."""


class NotARegularFile(OSError):
    """A path that should hold a stored file is a FIFO, device, socket or directory."""


def refuse_special(path: Path) -> None:
    """Raise ``NotARegularFile`` when ``path`` exists and is not a regular file (never opens it)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if stat.S_ISLNK(mode):
        with contextlib.suppress(OSError):
            mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        kind = (
            "a FIFO"
            if stat.S_ISFIFO(mode)
            else "a directory"
            if stat.S_ISDIR(mode)
            else "a socket"
            if stat.S_ISSOCK(mode)
            else "a device"
            if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "not a regular file"
        )
        raise NotARegularFile(f"{path} is {kind}, not a regular file; refusing to open it (remove or rename it)")


def read_regular_bytes(path: Path) -> bytes:
    """The bytes of a regular file; a FIFO or device is refused without being opened (it could block)."""
    refuse_special(path)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):  # swapped in after the check
            raise NotARegularFile(f"{path} is not a regular file; refusing to read it")
        return handle.read()


def _umask() -> int:
    """The process umask, read without changing it where the OS allows."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _tmp_prefix(path: Path) -> str:
    return f".{path.name}.{socket.gethostname()}-"


def glob_escape(text: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _sweep_dead_writers(path: Path) -> None:
    """Remove temporary files of ``path`` left by killed writers on this host (their pid is gone)."""
    prefix = _tmp_prefix(path)
    for leftover in path.parent.glob(f"{glob_escape(prefix)}*{_TMP_SUFFIX}"):
        pid = leftover.name[len(prefix) :].split(".", 1)[0]
        if pid.isdigit() and not pid_alive(int(pid)):
            leftover.unlink(missing_ok=True)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one.

    The file gets the permissions of the user's umask (as ``open`` would give it), and temporary
    files left by a writer that was killed are removed.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    _sweep_dead_writers(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f"{_tmp_prefix(path)}{os.getpid()}.", suffix=_TMP_SUFFIX)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o666 & ~_umask())
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def package_version() -> str:
    """The installed mieb version ("unknown" when run from a tree that is not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mieb")
    except PackageNotFoundError:
        return "unknown"


def env_flag(name: str, default: bool = True) -> bool:
    """A boolean setting from the environment: unset is ``default``; 0/false/no/off are off."""
    raw = os.environ.get(name)
    return default if raw is None else raw.strip().lower() not in FALSE_WORDS


def lock_timeout(default: float) -> float:
    """``$MIEB_LOCK_TIMEOUT`` seconds when set to a positive number, else ``default``."""
    with contextlib.suppress(KeyError, ValueError):
        value = float(os.environ[LOCK_TIMEOUT_ENV])
        if value > 0 and value == value and value != float("inf"):
            return value
    return default


def _stderr(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def _holder(path: Path) -> dict:
    try:
        record = json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def _describe(holder: dict) -> str:
    if not holder.get("pid"):
        return "an unknown process"
    return f"pid {holder['pid']} on {holder.get('host', '?')} (since {holder.get('since', '?')})"


def _stopped(holder: dict) -> bool:
    """The holder is a stopped (SIGSTOP, Ctrl-Z) process on this host: it will not release the lock."""
    if holder.get("host") != socket.gethostname() or not isinstance(holder.get("pid"), int):
        return False
    try:
        fields = Path(f"/proc/{holder['pid']}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return False
    return fields[0] in ("T", "t")


def _try_flock(path: Path) -> int | None:
    """An fd holding ``path``'s lock, or None when another process holds it."""
    import fcntl

    while True:
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        except BaseException:
            os.close(fd)
            raise
        try:
            current, held = os.stat(path), os.fstat(fd)
        except FileNotFoundError:  # the previous holder removed it after we opened it
            os.close(fd)
            continue
        if (current.st_ino, current.st_dev) == (held.st_ino, held.st_dev):
            return fd
        os.close(fd)  # locked a file that was replaced meanwhile: retry on the current one


def remove_stale_lock(path: Path) -> None:
    """Remove ``path``, a lock file, when no process holds it (its holder was killed before it could)."""
    try:
        import fcntl  # noqa: F401
    except ImportError:
        return
    if not path.exists():
        return
    with contextlib.suppress(OSError):
        fd = _try_flock(path)
        if fd is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            os.close(fd)


@contextlib.contextmanager
def file_lock(
    path: Path, *, timeout: float, what: str = "file", notify: Callable[[str], None] = _stderr
) -> Iterator[None]:
    """An exclusive inter-process lock on ``path`` (removed on release).

    Waiting says once who holds the lock. ``LockTimeout`` (naming the holder) is raised after
    ``timeout`` seconds, or as soon as the holder is a stopped process on this host.
    """
    try:
        import fcntl  # noqa: F401
    except ImportError:  # not POSIX: filelock, which keeps its lock file
        from filelock import FileLock, Timeout

        try:
            with FileLock(str(path), timeout=timeout):
                yield
        except Timeout as err:
            raise LockTimeout(f"{what} lock {path} not free after {timeout:g} s") from err
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    delay, told = 0.01, False
    while (fd := _try_flock(path)) is None:
        holder = _holder(path)
        waited = time.monotonic() - start
        if _stopped(holder):
            raise LockTimeout(
                f"{what} lock {path} is held by a stopped process, {_describe(holder)}; "
                f"resume it (kill -CONT {holder['pid']}) or end it, then rerun"
            )
        if waited > timeout:
            raise LockTimeout(
                f"{what} lock {path} still held by {_describe(holder)} after {waited:.0f} s; "
                f"if that run is gone, remove the lock file (wait longer with {LOCK_TIMEOUT_ENV}=SECONDS)"
            )
        if not told and waited > 0.5:
            notify(f"mieb: waiting for the {what} lock {path}, held by {_describe(holder)}")
            told = True
        time.sleep(delay)
        delay = min(delay * 2, 0.5)
    try:
        since = datetime.now(UTC).isoformat(timespec="seconds")
        record = {"pid": os.getpid(), "host": socket.gethostname(), "since": since}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(record).encode(), 0)
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        os.close(fd)

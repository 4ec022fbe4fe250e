"""The Fernet key repository, rotated exactly like Keystone's.

A directory of files named by integers, each holding one Fernet key:

* ``0`` is the *staged* key: it decrypts but does not yet sign, so every controller
  knows it before any of them promotes it;
* the highest number is the *primary* key: it signs new tokens;
* the others are *secondary* keys: they still decrypt tokens signed before a rotation.

``setup`` creates ``0`` and ``1``. ``rotate`` renames ``0`` to highest+1 (the new
primary), writes a new ``0`` and removes the lowest-numbered keys beyond
``max_active_keys`` (which counts the staged key). Tokens signed with a removed key
no longer validate. Keys are cached and re-read only when the directory listing changes.

``multifernet()`` lists the directory at every call, so a rotation made by another
process is seen at once (issuing uses it: tokens are signed with the current primary).
``multifernet(max_age=...)`` skips the listing when the last one is recent enough: the
validation path uses that and lists again at once when a token does not verify, see
``FernetTokenProvider.decode``.
"""

from __future__ import annotations

import fcntl
import logging
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography.fernet import Fernet, MultiFernet

from stackling.errors import KeyRepositoryError

LOG = logging.getLogger(__name__)

STAGED = 0
_LOCK_FILE = ".rotation.lock"

Signature = tuple[tuple[str, int, int, int], ...]


class KeyRepository:
    def __init__(self, path: Path, max_active_keys: int = 3) -> None:
        if max_active_keys < 2:
            raise KeyRepositoryError("max_active_keys must be at least 2 (a staged and a primary key)")
        self.path = Path(path)
        self.max_active_keys = max_active_keys
        self._lock = threading.Lock()
        self._cached: tuple[Signature, MultiFernet, list[int]] | None = None
        self._listed_at = 0.0  # time.monotonic() of the listing that last confirmed the cache

    # --- reading ---------------------------------------------------------------------------
    def _signature(self) -> Signature:
        """One directory listing (no file reads): name, inode, mtime and size of each key file."""
        try:
            entries = list(os.scandir(self.path))
        except FileNotFoundError:
            raise KeyRepositoryError(
                "fernet key repository %s does not exist; run `stackling-manage fernet setup`" % self.path
            ) from None
        signature = []
        for entry in entries:
            if entry.name.isdigit() and entry.is_file(follow_symlinks=False):
                stat = entry.stat(follow_symlinks=False)
                signature.append((entry.name, stat.st_ino, stat.st_mtime_ns, stat.st_size))
        return tuple(sorted(signature))

    def key_indexes(self) -> list[int]:
        """Key numbers present, primary first, staged (0) last."""
        return sorted((int(name) for name, *_stat in self._signature()), reverse=True)

    def _read_keys(self, signature: Signature) -> tuple[MultiFernet, list[int]]:
        indexes = sorted((int(name) for name, *_stat in signature), reverse=True)
        if STAGED not in indexes or len(indexes) < 2:
            raise KeyRepositoryError(
                "fernet key repository %s needs a staged key (0) and a primary key; found %s; "
                "run `stackling-manage fernet setup`" % (self.path, indexes or "no keys")
            )
        fernets = []
        for index in indexes:  # primary (highest) first: MultiFernet signs with the first key
            key_file = self.path / str(index)
            try:
                fernets.append(Fernet(key_file.read_bytes().strip()))
            except (ValueError, OSError) as exc:
                raise KeyRepositoryError(
                    "fernet key %s is unreadable or not a Fernet key: %s" % (key_file, exc)
                ) from None
        LOG.info("fernet: loaded keys %s from %s", indexes, self.path)
        return MultiFernet(fernets), indexes

    def multifernet(self, max_age: float | None = None) -> MultiFernet:
        """Primary key first, then the secondaries, then the staged key; cached per directory listing.

        The directory is listed at every call, unless ``max_age`` is given and the last listing
        that confirmed the cached keys is at most that many seconds old (one listing costs
        several system calls, more than a Fernet decryption on some machines).
        """
        cached = self._cached
        now = time.monotonic()
        if max_age is not None and cached is not None and now - self._listed_at <= max_age:
            return cached[1]
        signature = self._signature()
        if cached is not None and cached[0] == signature:
            self._listed_at = now
            return cached[1]
        with self._lock:
            multi, indexes = self._read_keys(signature)
            self._cached = (signature, multi, indexes)
            self._listed_at = now
        return multi

    # --- writing ---------------------------------------------------------------------------
    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Serialise setup/rotate across processes (a lock file inside the repository)."""
        with open(self.path / _LOCK_FILE, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _write_staged_key(self) -> None:
        """Write a new key as ``0`` atomically (temp file, fsync, rename), mode 0600."""
        descriptor, temp_name = tempfile.mkstemp(prefix=".staged-", dir=self.path)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(Fernet.generate_key())
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp_name, self.path / str(STAGED))
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise

    def setup(self) -> bool:
        """Create the repository with keys 0 (staged) and 1 (primary). Does nothing if keys exist."""
        self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.path, 0o700)
        with self._exclusive():
            if self._signature():
                LOG.info("fernet: key repository %s already set up", self.path)
                return False
            self._write_staged_key()
            self._rotate_locked()
        return True

    def rotate(self) -> list[int]:
        """Promote the staged key to primary, stage a new key, prune; returns the keys now present."""
        with self._exclusive():
            return self._rotate_locked()

    def _rotate_locked(self) -> list[int]:
        indexes = self.key_indexes()
        if STAGED not in indexes:
            raise KeyRepositoryError("fernet key repository %s has no staged key (0) to promote" % self.path)
        new_primary = max(indexes) + 1
        os.replace(self.path / str(STAGED), self.path / str(new_primary))
        self._write_staged_key()
        old_keys = sorted(index for index in indexes if index != STAGED)  # before the promotion
        # max_active_keys counts the staged and the new primary key; drop the oldest of the rest.
        while len(old_keys) > self.max_active_keys - 2:
            doomed = old_keys.pop(0)
            (self.path / str(doomed)).unlink()
            LOG.info("fernet: pruned key %d", doomed)
        LOG.info("fernet: promoted staged key to primary %d", new_primary)
        self._cached = None
        return self.key_indexes()

"""The image store: one file per image in ``images.store_dir``, named by the image id.

A new file is first written to a staging file in the same directory (``.staging-<random>``,
mode 0600), hashed (sha256 and md5) and counted while it is copied, and only renamed to its
final name (mode 0640) once the image row is written; a failed upload removes its staging
file, so nothing is left behind. Sources are a local path or an ``http``, ``https`` or
``file`` URL read with urllib (no shell, no other scheme, redirects only to http/https).

    staged = store.stage_url("https://example.org/cirros.qcow2")
    try:
        ...                                  # inspect, write the row
        store.commit(staged, image_id)
    finally:
        store.discard(staged)                # no-op after commit
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from stackling.errors import ValidationError

LOG = logging.getLogger(__name__)
CHUNK = 1024 * 1024
GIB = 1024**3
STAGING_PREFIX = ".staging-"
FILE_MODE = 0o640
DIR_MODE = 0o750
URL_SCHEMES = ("http", "https", "file")
URL_TIMEOUT = 60  # seconds without data before a download fails


@dataclass(frozen=True)
class StagedFile:
    """A copied source waiting to become an image file (``path`` is in the store directory)."""

    path: Path
    size_bytes: int
    checksum: str  # sha256, hex
    md5: str


class ImageStore:
    def __init__(self, directory: Path, max_size_gb: int) -> None:
        self.directory = directory
        self.max_size_bytes = max_size_gb * GIB

    def path_of(self, image_id: str) -> Path:
        if not image_id.isalnum():
            raise ValidationError("not an image id: %r" % image_id)
        return self.directory / image_id

    # --- staging -------------------------------------------------------------------------------------
    def stage_file(self, path: str | os.PathLike[str], field: str = "filename") -> StagedFile:
        """Copy the local file ``path`` into a staging file (errors name ``field``)."""
        source = Path(path)
        if not source.is_file():
            raise ValidationError("%s is not a regular file (or does not exist)" % source, field=field)
        try:
            with source.open("rb") as handle:
                return self._stage(handle, str(source), field)
        except OSError as exc:
            raise ValidationError("cannot read %s: %s" % (source, exc.strerror or exc), field=field) from None

    def stage_url(self, url: str, field: str = "url") -> StagedFile:
        """Download ``url`` (http, https or file) into a staging file (errors name ``field``)."""
        scheme = urllib.parse.urlsplit(url).scheme.lower()
        if scheme not in URL_SCHEMES:
            raise ValidationError("%r: only %s URLs are supported" % (url, ", ".join(URL_SCHEMES)), field=field)
        opener = urllib.request.build_opener(_SafeRedirects())
        try:
            with opener.open(url, timeout=URL_TIMEOUT) as response:
                length = response.headers.get("Content-Length")
                if length is not None and length.isdigit() and int(length) > self.max_size_bytes:
                    raise self._too_big(url, field)
                return self._stage(response, url, field)
        except urllib.error.HTTPError as exc:
            raise ValidationError("%s: HTTP %d %s" % (url, exc.code, exc.reason), field=field) from None
        except urllib.error.URLError as exc:
            raise ValidationError("cannot fetch %s: %s" % (url, exc.reason), field=field) from None
        except (OSError, ValueError) as exc:
            raise ValidationError("cannot fetch %s: %s" % (url, exc), field=field) from None

    def _stage(self, source: BinaryIO, label: str, field: str) -> StagedFile:
        self.directory.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        target = self.directory / (STAGING_PREFIX + secrets.token_hex(8))
        sha256, md5, size = hashlib.sha256(), hashlib.md5(usedforsecurity=False), 0
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := source.read(CHUNK):
                    size += len(chunk)
                    if size > self.max_size_bytes:
                        raise self._too_big(label, field)
                    sha256.update(chunk)
                    md5.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return StagedFile(target, size, sha256.hexdigest(), md5.hexdigest())

    def _too_big(self, label: str, field: str) -> ValidationError:
        return ValidationError(
            "%s is larger than images.max_size_gb (%d GiB)" % (label, self.max_size_bytes // GIB), field=field
        )

    # --- committing and removing ----------------------------------------------------------------------
    def commit(self, staged: StagedFile, image_id: str) -> Path:
        """Give the staged file its final name (atomic rename in the same directory)."""
        final = self.path_of(image_id)
        os.chmod(staged.path, FILE_MODE)
        os.replace(staged.path, final)
        self._sync_directory()
        return final

    def discard(self, staged: StagedFile | None) -> None:
        if staged is not None:
            staged.path.unlink(missing_ok=True)

    def remove(self, image_id: str) -> None:
        """Delete an image's file (a missing one is only logged)."""
        try:
            self.path_of(image_id).unlink()
        except FileNotFoundError:
            LOG.warning("image file of %s was already gone from %s", image_id, self.directory)
        else:
            self._sync_directory()

    def staging_files(self) -> list[Path]:
        """Staging files left in the store (by a process killed mid-upload); for cleanup and tests."""
        if not self.directory.is_dir():
            return []
        return sorted(self.directory.glob(STAGING_PREFIX + "*"))

    def _sync_directory(self) -> None:
        fd = os.open(self.directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class _SafeRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects to http and https only (never to file: a web server cannot point at the controller's files)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        if urllib.parse.urlsplit(newurl).scheme.lower() not in ("http", "https"):
            raise urllib.error.HTTPError(newurl, code, "redirect to a non-http(s) URL refused", headers, fp)
        return super().redirect_request(req, fp, code, msg, headers, newurl)

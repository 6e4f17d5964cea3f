"""Where variantprio caches derived files (parsed HPO releases, gene models built from a GTF,
cross-species knowledge), and the one way to keep a parsed object keyed by its input files."""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
from pathlib import Path
from typing import Callable, Sequence, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


def cache_root() -> Path:
    """$VARIANTPRIO_CACHE if set, else $XDG_CACHE_HOME/variantprio (default ~/.cache/variantprio)."""
    explicit = os.environ.get("VARIANTPRIO_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return Path(base) / "variantprio"


def cache_dir(kind: str) -> Path:
    """The cache subdirectory for one kind of file, e.g. `cache_dir("gene-models")`."""
    return cache_root() / kind


# What this process already built or unpickled, and the checksums it already read: a one-process
# `run` asks for the same HPO release in validation, phenotype and report, and pays once.
_LOADED: dict[Path, object] = {}
_CHECKSUMS: dict[tuple, str] = {}


def files_checksum(paths: Sequence[Path], salt: str = "") -> str:
    """SHA-256 (24 hex digits) over the files' names and bytes: the key of what was built from them.
    Read once while the files stay the same: each file's path, size, inode and modification and
    change times key a small record in the cache, so the next process (every stage of a workflow
    loads the HPO release, 45 MB to read) skips the reading. Any write to a file changes its change
    time, which no user can set back: a changed file is always read again."""
    stats = []
    for path in paths:
        st = os.stat(path)
        stats.append((str(Path(path).resolve()), st.st_size, st.st_ino, st.st_mtime_ns, st.st_ctime_ns))
    key = (salt, *stats)
    if key not in _CHECKSUMS:
        _CHECKSUMS[key] = _remembered_checksum(key, lambda: _read_checksum(paths, salt))
    return _CHECKSUMS[key]


def _remembered_checksum(key: tuple, read: Callable[[], str]) -> str:
    record = cache_dir("checksums") / (hashlib.sha256(repr(key).encode()).hexdigest()[:32] + ".txt")
    try:
        found = record.read_text().strip()
        if len(found) == 24 and all(c in "0123456789abcdef" for c in found):
            return found
    except OSError:
        pass
    checksum = read()
    try:
        from .tables import atomic_path

        record.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(record) as tmp:
            tmp.write_text(checksum + "\n")
    except OSError as err:
        log.debug("could not remember the checksum in %s (%s)", record, err)
    return checksum


def _read_checksum(paths: Sequence[Path], salt: str) -> str:
    digest = hashlib.sha256(salt.encode())
    for path in paths:
        digest.update(Path(path).name.encode())
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 22):
                digest.update(chunk)
    return digest.hexdigest()[:24]


def cached_build(kind: str, checksum: str, build: Callable[[], T], what: str) -> T:
    """`build()` once per checksum: later calls unpickle it (a fraction of a second). A stale or
    unreadable cache is rebuilt; a cache that cannot be written only costs the next run a rebuild.
    Within one process the object is kept, so callers must not modify it."""
    cached = cache_dir(kind) / f"{checksum}.pickle"
    if cached not in _LOADED:
        _LOADED[cached] = _load_or_build(cached, build, what)
    return _LOADED[cached]  # type: ignore[return-value]


def forget_loaded() -> None:
    """Drop what this process holds, so the next `cached_build` reads the disk cache again."""
    _LOADED.clear()
    _CHECKSUMS.clear()


def _load_or_build(cached: Path, build: Callable[[], T], what: str) -> T:
    from .tables import atomic_path

    if cached.is_file():
        try:
            with open(cached, "rb") as handle:
                value = pickle.load(handle)
            log.info("%s loaded from cache %s", what, cached)
            return value
        except Exception as err:  # noqa: BLE001 - a stale or truncated cache is rebuilt
            log.warning("ignoring unreadable cache %s (%s)", cached, err)
    value = build()
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(cached) as tmp, open(tmp, "wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        log.info("%s cached at %s", what, cached)
    except OSError as err:
        log.warning("could not cache %s (%s); it is rebuilt next time", what, err)
    return value

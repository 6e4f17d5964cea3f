"""One cache location for every cached file: $VARIANTPRIO_CACHE, else $XDG_CACHE_HOME/variantprio."""

from __future__ import annotations

from pathlib import Path

from variantprio.annotate.genemodel import default_cache_dir
from variantprio.cache import cache_dir, cache_root


def test_variantprio_cache_wins_over_xdg(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("VARIANTPRIO_CACHE", str(tmp_path / "mine"))
    assert cache_root() == tmp_path / "mine"
    assert default_cache_dir() == cache_dir("gene-models") == tmp_path / "mine" / "gene-models"


def test_xdg_then_home_without_variantprio_cache(tmp_path, monkeypatch):
    monkeypatch.delenv("VARIANTPRIO_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "variantprio" / "gene-models"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_root() == tmp_path / "home" / ".cache" / "variantprio"


def test_an_empty_variantprio_cache_counts_as_unset(tmp_path, monkeypatch):
    monkeypatch.setenv("VARIANTPRIO_CACHE", "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_root() == Path(tmp_path) / "variantprio"


def test_a_checksum_is_read_once_and_read_again_after_any_write(tmp_path, monkeypatch):
    """The next process takes a file's checksum from the cache's record; a file rewritten with the
    same size and its old modification time is still read again (its change time moved)."""
    import os

    import variantprio.cache as cache

    monkeypatch.setenv("VARIANTPRIO_CACHE", str(tmp_path / "cache"))
    data = tmp_path / "phenotype.hpoa"
    data.write_text("abc\n")
    first = cache.files_checksum([data], "salt")
    cache.forget_loaded()  # as a new process

    def no_reading(*_):
        raise AssertionError("read the file again")

    monkeypatch.setattr(cache, "_read_checksum", no_reading)
    assert cache.files_checksum([data], "salt") == first
    monkeypatch.undo()
    monkeypatch.setenv("VARIANTPRIO_CACHE", str(tmp_path / "cache"))
    cache.forget_loaded()
    before = os.stat(data)
    data.write_text("xyz\n")
    os.utime(data, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(data).st_mtime_ns == before.st_mtime_ns and os.stat(data).st_size == before.st_size
    assert cache.files_checksum([data], "salt") != first
    assert cache.files_checksum([data], "other salt") != cache.files_checksum([data], "salt")

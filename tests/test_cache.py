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

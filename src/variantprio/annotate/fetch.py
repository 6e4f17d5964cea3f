"""`variantprio resources fetch`: download the sources a manifest names, verified and indexed.

Manifest (YAML): `sources:` list of {name, url, sha256 or md5, version, build, kind?, file?}.
Each file is downloaded to FILE.part (resumed with an HTTP Range request when a partial file is
there), checked against its checksum, renamed into place (atomic), then bgzipped VCF/TSV sources
are tabix-indexed. A present file with a valid checksum is skipped. A `sources.yaml` listing the
installed files (name, kind, path, version, build) is written for the workflow config.
"""

from __future__ import annotations

import logging
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ..download import download_to_part, file_checksum, install_verified
from ..errors import InputError
from ..yamlfile import read_yaml
from .sourceconfig import checked_kind_and_build

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ManifestEntry:
    name: str
    url: str
    algorithm: str  # sha256 or md5
    checksum: str
    version: str
    build: str
    kind: str | None
    file: str


@dataclass
class FetchResult:
    entry: ManifestEntry
    path: Path
    action: str  # downloaded, resumed, skipped


def load_manifest(path: str | Path) -> list[ManifestEntry]:
    """Manifest entries, checked (name, url, checksum, version, build are required)."""
    path = Path(path)
    data = read_yaml(path, "manifest")
    entries = data.get("sources") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise InputError("manifest has no `sources:` list", path=str(path),
                         hint="sources: [{name, url, sha256, version, build}]")
    return [_entry(e, i, path) for i, e in enumerate(entries, 1)]


def _entry(e, i: int, path: Path) -> ManifestEntry:
    where = f"sources[{i}]"
    if not isinstance(e, dict):
        raise InputError("an entry must be a mapping", path=str(path), where=where)
    missing = [k for k in ("name", "url", "version", "build") if not e.get(k)]
    algorithm = next((a for a in ("sha256", "md5") if e.get(a) not in (None, "")), None)
    if algorithm is None:
        missing.append("sha256 or md5")
    if missing:
        raise InputError(f"manifest entry lacks {', '.join(missing)}", path=str(path), where=where)
    build = checked_kind_and_build(e, path, where)
    file = e.get("file") or Path(urllib.request.urlparse(e["url"]).path).name
    if not file or "/" in file:
        raise InputError("cannot name the downloaded file", path=str(path), where=where, hint="give `file:`")
    return ManifestEntry(str(e["name"]), e["url"], algorithm, str(e[algorithm]).lower(), str(e["version"]),
                         build, e.get("kind"), file)


def fetch_entry(entry: ManifestEntry, directory: Path, timeout: float = 60.0) -> FetchResult:
    """Download (or skip, or resume) one entry, verify its checksum, install it atomically and index it."""
    directory.mkdir(parents=True, exist_ok=True)
    dest = directory / entry.file
    if dest.exists() and file_checksum(dest, entry.algorithm) == entry.checksum:
        _index(dest, entry)
        log.info("%s: %s present with a valid %s, skipped", entry.name, dest, entry.algorithm)
        return FetchResult(entry, dest, "skipped")
    part = directory / (entry.file + ".part")
    action = download_to_part(entry.url, part, label=entry.name, timeout=timeout)
    install_verified(part, dest, url=entry.url, label=entry.name, algorithm=entry.algorithm,
                     expected=entry.checksum)
    _index(dest, entry)
    log.info("%s: %s %s (%s verified)", entry.name, action, dest, entry.algorithm)
    return FetchResult(entry, dest, action)


def _is_bgzf(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(16)
    return head[:4] == b"\x1f\x8b\x08\x04" and head[12:14] == b"BC"


def _index(path: Path, entry: ManifestEntry) -> None:
    """Tabix-index bgzipped VCF and TSV sources (VCF preset; TSV: chrom, pos columns 1-2)."""
    import pysam

    name = path.name
    if not _is_bgzf(path) or Path(str(path) + ".tbi").exists() or Path(str(path) + ".csi").exists():
        return
    try:
        if ".vcf" in name:
            pysam.tabix_index(str(path), preset="vcf", keep_original=True, force=True)
        elif ".tsv" in name or ".txt" in name:
            pysam.tabix_index(str(path), seq_col=0, start_col=1, end_col=1, meta_char="#",
                              zerobased=False, keep_original=True, force=True)
    except (OSError, ValueError) as err:
        raise InputError(f"could not tabix-index the download ({err})", path=str(path), where=entry.name) from None


def write_sources_yaml(results: list[FetchResult], out: Path) -> Path:
    """`sources:` snippet for the workflow config listing the installed files."""
    import yaml

    from ..tables import atomic_path

    items = [{"name": r.entry.name, "kind": r.entry.kind, "path": str(r.path.resolve()),
              "version": r.entry.version, "build": r.entry.build} for r in results if r.entry.kind]
    with atomic_path(out) as tmp:
        tmp.write_text(yaml.safe_dump({"sources": items}, sort_keys=False))
    return out


def fetch_resources(manifest: str | Path, directory: str | Path, timeout: float = 60.0) -> list[FetchResult]:
    """Fetch every manifest entry into `directory`; writes DIRECTORY/sources.yaml."""
    entries = load_manifest(manifest)
    directory = Path(directory)
    results = [fetch_entry(e, directory, timeout) for e in entries]
    write_sources_yaml(results, directory / "sources.yaml")
    return results

"""`variantprio resources fetch hpo`: one official HPO release, verified, into OUT/<release>/.

Layout: OUT/<release>/{phenotype.hpoa, hp.obo, genes_to_disease.txt[, hp-<lang>-preprocessed.babelon.tsv,
hp-<lang>.synonyms.tsv], release.json}; point the phenotype engine (`--hpo-dir`) at OUT/<release>. Releases live side by side so
a case can be re-scored with the release that scored it. release.json records, per file, the URL, size,
SHA-256, download time and header version, plus the release date: later runs verify against it, and a
run that finds every file present with its recorded checksum downloads nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..core.hpolabels import babelon_name, synonyms_name
from ..download import download_to_part, file_checksum, install_verified, now_utc, open_url, read_fetch_record
from ..errors import InputError
from ..tables import atomic_path
from .hpo_checks import check_file, hpoa_version

log = logging.getLogger(__name__)

HPO_REPOSITORY = "https://github.com/obophenotype/human-phenotype-ontology"
# Release assets of the tag v<DATE> (e.g. .../releases/download/v2026-06-23/phenotype.hpoa).
RELEASE_URL = "{base}/releases/download/{tag}/{file}"
# GitHub redirects this to the newest release's asset (.../releases/download/v<DATE>/<file>).
LATEST_URL = "{base}/releases/latest/download/{file}"
# Translations are not release assets: the preprocessed Babelon table (labels) and the exact-synonym
# table of the repository's src/translations/ at the release tag (github.com/<repo>/raw/<ref>/...
# redirects to raw.githubusercontent.com); the report and term input read both (core/hpolabels.py).
TRANSLATION_URL = "{base}/raw/{tag}/src/translations/{file}"
RELEASE_FILES = ("phenotype.hpoa", "hp.obo", "genes_to_disease.txt")
RECORD = "release.json"
LICENCE = ("HPO licence: free use with attribution; cite this release in every output that used it; "
           "do not modify the files and redistribute them under the HPO name")

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TAG_IN_URL = re.compile(r"/releases/download/v(\d{4}-\d{2}-\d{2})/")
_LANG = re.compile(r"^[a-z]{2,3}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_HEAD_BYTES = 1 << 16


@dataclass(frozen=True)
class HpoFetchOptions:
    """What to fetch and where; `sha256` maps file names to checksums the files must have."""

    out: Path
    release: str = "latest"
    languages: tuple[str, ...] = ()
    base_url: str = HPO_REPOSITORY
    timeout: float = 60.0
    sha256: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ReleaseFile:
    name: str
    url: str
    kind: str  # key of hpo_checks.CHECKS


@dataclass(frozen=True)
class FileOutcome:
    name: str
    path: Path
    action: str  # downloaded, resumed, skipped
    size: int


@dataclass(frozen=True)
class HpoRelease:
    release: str
    directory: Path
    record: Path
    files: list[FileOutcome]


def normalise_release(text: str) -> str:
    """'latest', or a release date YYYY-MM-DD (a tag's leading 'v' is accepted)."""
    value = text.strip()
    if value == "latest":
        return value
    value = value.removeprefix("v")
    try:
        if _DATE.match(value) and dt.date.fromisoformat(value):
            return value
    except ValueError:
        pass
    raise InputError(f"not a release: {text!r}", where="--release",
                     hint="a release date like 2026-06-23 (the tag v2026-06-23), or latest")


def parse_sha256_pairs(pairs: Iterable[str]) -> dict[str, str]:
    """--sha256 FILE=HEX pairs as {file: hex}."""
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, digest = pair.partition("=")
        digest = digest.strip().lower()
        if not sep or not name.strip() or not _SHA256.match(digest):
            raise InputError(f"not FILE=SHA256: {pair!r}", where="--sha256",
                             hint="e.g. --sha256 phenotype.hpoa=<64 hex digits>")
        out[name.strip()] = digest
    return out


def normalise_languages(languages: Iterable[str]) -> tuple[str, ...]:
    out = tuple(dict.fromkeys(lang.strip().lower() for lang in languages))
    bad = [lang for lang in out if not _LANG.match(lang)]
    if bad:
        raise InputError(f"not a language code: {', '.join(bad)}", where="--lang",
                         hint="a two- or three-letter code of an HPO translation, e.g. fr, de, es, ja")
    return out


def translation_names(lang: str) -> tuple[str, str]:
    """The labels and the exact synonyms of one language."""
    return babelon_name(lang), synonyms_name(lang)


def file_names(languages: Iterable[str]) -> list[str]:
    return [*RELEASE_FILES, *(name for lang in languages for name in translation_names(lang))]


def release_files(tag: str, base: str, languages: Iterable[str]) -> list[ReleaseFile]:
    """The files of one release, phenotype.hpoa first (its header names the release)."""
    files = [ReleaseFile(name, RELEASE_URL.format(base=base, tag=tag, file=name), name) for name in RELEASE_FILES]
    for lang in languages:  # both are tables with subject_id and translation_value columns
        files += [ReleaseFile(name, TRANSLATION_URL.format(base=base, tag=tag, file=name), "babelon")
                  for name in translation_names(lang)]
    return files


def resolve_latest(base: str, timeout: float) -> str:
    """The newest release's date: the v<DATE> GitHub redirects to, else the annotations' #version.

    Only the head of phenotype.hpoa is requested (a Range request), so resolving costs one small read.
    """
    url = LATEST_URL.format(base=base, file="phenotype.hpoa")
    opened = open_url(url, timeout=timeout, label="latest release",
                      headers={"Range": f"bytes=0-{_HEAD_BYTES - 1}"})
    with opened.response as response:
        head = response.read(_HEAD_BYTES).decode("utf-8", errors="replace")
    for target in opened.redirects:
        match = _TAG_IN_URL.search(target)
        if match:
            return match.group(1)
    return hpoa_version(head, url)


def fetch_hpo_release(options: HpoFetchOptions) -> HpoRelease:
    """Download (or verify, or resume) every file of the release into OUT/<release>/ and record it."""
    base = options.base_url.rstrip("/")
    requested = normalise_release(options.release)
    languages = normalise_languages(options.languages)
    wanted = _checked_expectations(options.sha256, file_names(languages))  # before any request
    release = resolve_latest(base, options.timeout) if requested == "latest" else requested
    files = release_files(f"v{release}", base, languages)
    directory = Path(options.out) / release
    directory.mkdir(parents=True, exist_ok=True)
    record_path = directory / RECORD
    entries: dict[str, dict] = dict(read_fetch_record(record_path, "release record").get("files", {}))
    outcomes: list[FileOutcome] = []
    for spec in files:
        expected = wanted.get(spec.name) or entries.get(spec.name, {}).get("sha256")
        try:
            outcome, entries[spec.name] = _fetch_file(spec, directory, expected, entries.get(spec.name),
                                                      options.timeout)
        except InputError:
            if not (directory / spec.name).exists():
                entries.pop(spec.name, None)
            _write_record(record_path, release, options.release, base, entries)
            raise
        outcomes.append(outcome)
        _write_record(record_path, release, options.release, base, entries)
    annotations = entries.get("phenotype.hpoa", {}).get("version")
    if annotations and annotations != release:
        log.warning("release %s: phenotype.hpoa says #version %s (the version the engine records)",
                    release, annotations)
    return HpoRelease(release, directory, record_path, outcomes)


def _checked_expectations(sha256: Mapping[str, str], names: list[str]) -> dict[str, str]:
    unknown = [n for n in sha256 if n not in names]
    if unknown:
        raise InputError(f"--sha256 names {', '.join(unknown)}, which this run does not fetch", where="--sha256",
                         hint=f"one of {', '.join(names)}")
    return {name: digest.lower() for name, digest in sha256.items()}


def _fetch_file(spec: ReleaseFile, directory: Path, expected: str | None, previous: dict | None,
                timeout: float) -> tuple[FileOutcome, dict]:
    """Skip a present file with the expected checksum; otherwise download, verify and install it."""
    dest = directory / spec.name
    if dest.exists() and expected is not None:
        digest = file_checksum(dest)
        if digest == expected:
            log.info("%s: present with the expected sha256, skipped", dest)
            version = check_file(dest, spec.kind, str(dest))
            entry = _entry(spec, dest, digest, version, (previous or {}).get("downloaded_at"))
            return FileOutcome(spec.name, dest, "skipped", dest.stat().st_size), entry
        # A file that fails its expected checksum is not a usable release file: remove, fetch again.
        log.warning("%s: sha256 %s is not the expected %s; downloading it again", dest, digest, expected)
        dest.unlink()
    elif dest.exists():
        log.info("%s: present but not recorded in %s; downloading it again to verify", dest, RECORD)
    part = directory / (spec.name + ".part")
    action = download_to_part(spec.url, part, label=spec.name, timeout=timeout)
    versions: list[str | None] = []
    digest = install_verified(part, dest, url=spec.url, label=spec.name, expected=expected,
                              check=lambda p: versions.append(check_file(p, spec.kind, spec.url)))
    log.info("%s: %s %s", spec.name, action, dest)
    entry = _entry(spec, dest, digest, versions[0], now_utc())
    return FileOutcome(spec.name, dest, action, dest.stat().st_size), entry


def _entry(spec: ReleaseFile, dest: Path, digest: str, version: str | None, when: str | None) -> dict:
    return {"url": spec.url, "size": dest.stat().st_size, "sha256": digest, "downloaded_at": when,
            "version": version}


def _write_record(path: Path, release: str, requested: str, base: str, entries: dict[str, dict]) -> None:
    """release.json, rewritten atomically after every installed file so an interruption loses nothing."""
    present = {name: entry for name, entry in entries.items() if (path.parent / name).exists()}
    translations = {m.group(1): name for name in present
                    if (m := re.match(r"^hp-([a-z]+)-preprocessed\.babelon\.tsv$", name))}
    synonyms = {m.group(1): name for name in present if (m := re.match(r"^hp-([a-z]+)\.synonyms\.tsv$", name))}
    record = {
        "source": "Human Phenotype Ontology",
        "repository": base,
        "release": release,
        "tag": f"v{release}",
        "requested": requested,
        "annotations_version": present.get("phenotype.hpoa", {}).get("version"),
        "ontology_version": present.get("hp.obo", {}).get("version"),
        "complete": all(name in present for name in RELEASE_FILES),
        "files": present,
        "translations": translations,
        "synonyms": synonyms,
        "licence": LICENCE,
        "written_by": f"variantprio {__version__}",
    }
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(record, indent=1) + "\n")

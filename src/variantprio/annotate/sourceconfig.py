"""Annotation sources declared in the workflow config: `sources:` list of
{name, kind, path, version, build}. Every source must be on the variants' genome build."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..core.genome import normalise_build
from ..core.sourcekinds import KINDS
from ..errors import InputError
from ..settings import CohortSettings
from ..yamlfile import read_yaml

_REQUIRED = ("name", "kind", "path", "version", "build")


@dataclass(frozen=True)
class SourceSpec:
    """One declared source file."""

    name: str
    kind: str
    path: Path
    version: str
    build: str
    cohort: CohortSettings = CohortSettings()  # kind inhouse: how the cohort's counts are read


def load_sources(config_path: str | Path, build: str | None = None) -> list[SourceSpec]:
    """The `sources:` entries of a config YAML for variants on `build`, checked: those listed under
    `builds.<build>` when the config has them, else the top-level list (the data of genome_build;
    a source of another build is then refused by the join). Relative paths resolve from the working
    directory first, then from the config's directory."""
    config_path = Path(config_path)
    config = read_yaml(config_path, "sources config")
    entries = config.get("sources") if isinstance(config, dict) else None
    builds = config.get("builds") if isinstance(config, dict) and isinstance(config.get("builds"), dict) else {}
    listed = builds.get(build) if build else None
    if isinstance(listed, dict) and (listed.get("sources") or build != config.get("genome_build", "GRCh38")):
        entries = listed.get("sources") or []
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise InputError("`sources` must be a list", path=str(config_path))
    cohort = config.get("cohort") if isinstance(config.get("cohort"), dict) else {}
    known = {k: v for k, v in cohort.items() if k in CohortSettings.__dataclass_fields__}
    try:
        settings = CohortSettings(**known)
    except TypeError as err:
        raise InputError(f"bad `cohort` section ({err})", path=str(config_path)) from None
    return [_spec(entry, i, config_path, settings) for i, entry in enumerate(entries, 1)]


def checked_kind_and_build(entry: dict, path: Path, where: str) -> str:
    """A source entry's kind (when given) must be known and its build one we read: the normalised
    build. Shared by the sources config and the download manifest."""
    if entry.get("kind") and entry["kind"] not in KINDS:
        raise InputError(f"unknown source kind {entry['kind']!r}", path=str(path), where=where,
                         hint=f"one of {', '.join(KINDS)}")
    try:
        return normalise_build(str(entry["build"]))
    except ValueError as err:
        raise InputError(str(err), path=str(path), where=where) from None


def _spec(entry, i: int, config_path: Path, cohort: CohortSettings) -> SourceSpec:
    where = f"sources[{i}]"
    if not isinstance(entry, dict):
        raise InputError("a source must be a mapping", path=str(config_path), where=where)
    missing = [k for k in _REQUIRED if not entry.get(k)]
    if missing:
        raise InputError(f"source lacks {', '.join(missing)}", path=str(config_path), where=where,
                         hint="give name, kind, path, version and build for every source")
    build = checked_kind_and_build(entry, config_path, where)
    if entry["kind"] == "inhouse" and str(entry["path"]).startswith(("postgresql://", "postgres://")):
        return SourceSpec(str(entry["name"]), "inhouse", entry["path"], str(entry["version"]), build, cohort)
    path = Path(entry["path"])
    if not path.is_absolute() and not path.exists():
        path = config_path.parent / path
    if not path.exists():
        raise InputError(f"source {entry['name']!r} file not found", path=str(path), where=where)
    return SourceSpec(str(entry["name"]), entry["kind"], path, str(entry["version"]), build, cohort)

"""`variantprio resources fetch xspecies`: mouse phenotypes, MP, uPheno mappings and STRING, from
their publishers, laid out as the phenotype stage reads them (`--xspecies DIR`).

Downloads go to DIR/downloads/ with the rules of every fetch (resume, checksum, content check,
atomic install; `download.py`); DIR/xspecies.json records each file's URL, size, SHA-256 and time.
The tables the engine reads are then derived from them, each written atomically:
- mouse/mgi_human_gene_to_mouse_MP.tsv: per human gene (MGI's human-mouse orthologs), the number of
  mouse genotypes with a phenotype and the union of their MP terms (MGI_GenePheno.rpt);
- ontology/mp.obo;
- mappings/hp_mp_mapping_union.tsv: uPheno's best HP->MP matches, plus the HP-MP pairs that share a
  uPheno species-independent class;
- ppi/string_v12_notextmining.tsv.gz: STRING's human links with the combined score recomputed
  without text mining (text mining can find the very paper a patient comes from), each gene keeping
  its links of score >= 700 and its three best between 400 and 699.
"""

from __future__ import annotations

import csv
import json
import logging
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import __version__
from ..download import download_to_part, file_checksum, install_verified, now_utc, read_fetch_record
from ..errors import InputError
from ..phenotype.mouse import FETCH_RECORD, FETCHED_PROFILES, HP_MP_MAPPINGS, MP_ONTOLOGY
from ..phenotype.network import FETCHED_LINKS
from ..tables import atomic_path

log = logging.getLogger(__name__)

RECORD = FETCH_RECORD
STRING_VERSION = "12.0"
# STRING's probability that two random proteins are linked, removed from each channel before the
# channels are combined and added back after (von Mering et al. 2005; STRING's own combination).
STRING_PRIOR = 0.041
STRING_CHANNELS = ("neighborhood", "fusion", "cooccurence", "coexpression", "experimental", "database")
STRONG, MEDIUM, MEDIUM_PER_GENE = 700, 400, 3


@dataclass(frozen=True)
class Upstream:
    name: str  # file name in DIR/downloads/
    url: str
    check: Callable[[bytes], str | None]  # first bytes -> what is wrong (None: fine)


def _starts_with(*prefixes: bytes) -> Callable[[bytes], str | None]:
    def check(head: bytes) -> str | None:
        # The head of a gzip file is an unfinished stream: decompress what there is of it.
        text = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head) if head[:2] == b"\x1f\x8b" else head
        return None if any(text.lstrip().startswith(p) for p in prefixes) else \
            f"does not start like the expected file ({prefixes[0].decode()}...)"
    return check


def upstream_files(mirror: str | None = None) -> list[Upstream]:
    """The publishers' URLs; with `mirror`, every file is fetched from MIRROR/<name> instead."""
    string = "https://stringdb-downloads.org/download"
    files = [
        Upstream("MGI_GenePheno.rpt", "https://www.informatics.jax.org/downloads/reports/MGI_GenePheno.rpt",
                 _starts_with(b"Allelic Composition", b"")),
        Upstream("HMD_HumanPhenotype.rpt", "https://www.informatics.jax.org/downloads/reports/HMD_HumanPhenotype.rpt",
                 _starts_with(b"")),
        Upstream("mp.obo", "http://purl.obolibrary.org/obo/mp.obo", _starts_with(b"format-version")),
        Upstream("hp-to-mp-bestmatches.tsv",
                 "https://raw.githubusercontent.com/obophenotype/upheno/master/mappings/hp-to-mp-bestmatches.tsv",
                 _starts_with(b"HP:", b"subject_id")),
        Upstream("upheno-species-independent.sssom.tsv",
                 "https://raw.githubusercontent.com/obophenotype/upheno/master/mappings/"
                 "upheno-species-independent.sssom.tsv", _starts_with(b"#", b"subject_id")),
        Upstream(f"9606.protein.links.detailed.v{STRING_VERSION}.txt.gz",
                 f"{string}/protein.links.detailed.v{STRING_VERSION}/9606.protein.links.detailed.v{STRING_VERSION}.txt.gz",
                 _starts_with(b"protein1")),
        Upstream(f"9606.protein.info.v{STRING_VERSION}.txt.gz",
                 f"{string}/protein.info.v{STRING_VERSION}/9606.protein.info.v{STRING_VERSION}.txt.gz",
                 _starts_with(b"#string_protein_id")),
    ]
    if mirror:
        files = [Upstream(f.name, f"{mirror.rstrip('/')}/{f.name}", f.check) for f in files]
    return files


@dataclass(frozen=True)
class XspeciesFetch:
    directory: Path
    actions: dict[str, str]  # file -> downloaded, resumed, skipped
    derived: dict[str, int]  # derived table -> rows


def fetch_xspecies(out: Path, mirror: str | None = None, timeout: float = 60.0) -> XspeciesFetch:
    """Download (or verify, or resume) every upstream file, then derive the engine's tables."""
    out = Path(out)
    downloads = out / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    record_path = out / RECORD
    record = {"files": {}, **read_fetch_record(record_path, "fetch record")}
    actions = {}
    for spec in upstream_files(mirror):
        dest = downloads / spec.name
        known = record["files"].get(spec.name, {})
        if dest.exists() and known.get("sha256") and known.get("url") == spec.url \
                and file_checksum(dest) == known["sha256"]:
            actions[spec.name] = "skipped"
            continue
        part = downloads / (spec.name + ".part")
        action = download_to_part(spec.url, part, label=spec.name, timeout=timeout)
        digest = install_verified(part, dest, url=spec.url, label=spec.name, check=_content_check(spec))
        record["files"][spec.name] = {"url": spec.url, "size": dest.stat().st_size, "sha256": digest,
                                      "downloaded_at": now_utc()}
        _write_record(record_path, record)
        actions[spec.name] = action
        log.info("%s: %s %s", spec.name, action, dest)
    derived = derive_layout(downloads, out, record)
    record["derived"] = derived
    _write_record(record_path, record)
    return XspeciesFetch(out, actions, derived)


def _content_check(spec: Upstream) -> Callable[[Path], None]:
    def check(path: Path) -> None:
        with open(path, "rb") as fh:
            head = fh.read(1 << 16)
        try:
            problem = spec.check(head)
        except zlib.error as err:
            problem = f"is not readable gzip ({err})"
        if problem or head.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")):
            raise InputError(f"{spec.name} {problem or 'is an HTML page'}: not installed", path=spec.url,
                             hint="check the URL or --mirror; the publisher may have moved the file")
    return check


def derive_layout(downloads: Path, out: Path, record: dict) -> dict[str, int]:
    """The four tables the engine reads, from the downloaded files: rows written per table."""
    rows = {}
    profiles = mouse_profiles(downloads / "MGI_GenePheno.rpt", downloads / "HMD_HumanPhenotype.rpt")
    rows[str(FETCHED_PROFILES)] = _write_tsv(profiles, out / FETCHED_PROFILES)
    (out / MP_ONTOLOGY).parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out / MP_ONTOLOGY) as tmp:
        tmp.write_bytes((downloads / "mp.obo").read_bytes())
    rows[str(MP_ONTOLOGY)] = 1
    fetched = record["files"].get("hp-to-mp-bestmatches.tsv", {}).get("downloaded_at", now_utc())[:10]
    mappings = hp_mp_mappings(downloads / "hp-to-mp-bestmatches.tsv",
                              downloads / "upheno-species-independent.sssom.tsv", fetched)
    rows[str(HP_MP_MAPPINGS)] = _write_tsv(mappings, out / HP_MP_MAPPINGS)
    links = string_links(downloads / f"9606.protein.links.detailed.v{STRING_VERSION}.txt.gz",
                         downloads / f"9606.protein.info.v{STRING_VERSION}.txt.gz")
    rows[str(FETCHED_LINKS)] = _write_tsv(links, out / FETCHED_LINKS)
    return rows


def _write_tsv(frame: pd.DataFrame, path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, sep="\t", index=False, compression="gzip" if path.suffix == ".gz" else None)
    return len(frame)


def _rows(path: Path, min_fields: int) -> Iterator[list[str]]:
    """Tab-separated rows of an MGI report (no header, or a header we skip), too short ones left out."""
    with open(path, newline="", encoding="utf-8", errors="replace") as fh:
        for fields in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(fields) >= min_fields and not fields[0].startswith(("Allelic Composition", "#")):
                yield fields


def mouse_profiles(genopheno: Path, orthologs: Path) -> pd.DataFrame:
    """human_symbol, n_mouse_mutants, mp_ids: per human gene, the MP terms of every mouse genotype of
    its orthologous mouse gene(s) (MGI_GenePheno.rpt: MP id in column 5, marker ids in 7, genotype in 8)."""
    pairs = [(marker.strip(), row[4].strip(), row[7].strip()) for row in _rows(genopheno, 8)
             for marker in row[6].replace("|", ",").split(",") if marker.strip().startswith("MGI:")
             and row[4].strip().startswith("MP:")]
    if not pairs:
        raise InputError("no genotype-phenotype rows (MP id in column 5, MGI marker in column 7)", path=str(genopheno),
                         hint="pass MGI's MGI_GenePheno.rpt")
    pheno = pd.DataFrame(pairs, columns=["marker", "mp", "genotype"])
    ortho = pd.DataFrame([(row[0].strip(), row[3].strip()) for row in _rows(orthologs, 4)
                          if row[3].strip().startswith("MGI:")], columns=["human_symbol", "marker"])
    joined = pheno.merge(ortho, on="marker")
    if joined.empty:
        raise InputError("no mouse gene with a phenotype has a human ortholog here", path=str(orthologs),
                         hint="pass MGI's HMD_HumanPhenotype.rpt (human symbol in column 1, MGI id in column 4)")
    grouped = joined.groupby("human_symbol")
    return pd.DataFrame({"human_symbol": list(grouped.groups),
                         "n_mouse_mutants": grouped["genotype"].nunique().to_numpy(),
                         "mp_ids": grouped["mp"].agg(lambda ids: ",".join(sorted(set(ids)))).to_numpy()})


def hp_mp_mappings(bestmatches: Path, species_independent: Path, fetched: str) -> pd.DataFrame:
    """hp_id, mp_id, source: uPheno's best match per HP term (columns HP id, label, MP id, ...) and
    every HP-MP pair mapped to one species-independent uPheno class (SSSOM)."""
    best = pd.read_csv(bestmatches, sep="\t", header=None, dtype=str, comment="#", usecols=[0, 2],
                       names=["hp_id", "mp_id"]).dropna()
    best = best[best["hp_id"].str.startswith("HP:") & best["mp_id"].str.startswith("MP:")]
    sssom = pd.read_csv(species_independent, sep="\t", dtype=str, comment="#", usecols=["subject_id", "object_id"])
    hp = sssom[sssom["object_id"].str.startswith("HP:", na=False)].rename(columns={"object_id": "hp_id"})
    mp = sssom[sssom["object_id"].str.startswith("MP:", na=False)].rename(columns={"object_id": "mp_id"})
    shared = hp.merge(mp, on="subject_id")
    out = pd.concat([best.assign(source=f"upheno_bestmatch_fetched_{fetched}"),
                     shared.assign(source=f"upheno_species_independent_fetched_{fetched}_via_" + shared["subject_id"])
                     [["hp_id", "mp_id", "source"]]], ignore_index=True)
    if out.empty:
        raise InputError("no HP-MP pair in the uPheno mappings", path=str(bestmatches),
                         hint="pass uPheno's mappings/hp-to-mp-bestmatches.tsv")
    return out.drop_duplicates(["hp_id", "mp_id"])[["hp_id", "mp_id", "source"]]


def without_text_mining(channels: np.ndarray) -> np.ndarray:
    """STRING's combined score (0-1000) of these channel scores (rows x channels, 0-1000)."""
    p = np.clip((np.asarray(channels, float) / 1000.0 - STRING_PRIOR) / (1.0 - STRING_PRIOR), 0.0, 1.0)
    combined = 1.0 - np.prod(1.0 - p, axis=1)
    return np.rint(1000.0 * (combined + STRING_PRIOR * (1.0 - combined))).astype(np.int64)


def string_links(detailed: Path, info: Path) -> pd.DataFrame:
    """symbol_1, symbol_2, combined_score (no text mining): links >= STRONG, plus each gene's
    MEDIUM_PER_GENE best links >= MEDIUM; each pair once."""
    try:
        links = pd.read_csv(detailed, sep=" ", usecols=["protein1", "protein2", *STRING_CHANNELS])
        names = pd.read_csv(info, sep="\t", usecols=[0, 1], names=["protein", "symbol"], header=0, dtype=str)
    except (OSError, ValueError, EOFError) as err:
        raise InputError(f"cannot read STRING's files ({err})", path=str(detailed),
                         hint="delete DIR/downloads/ and fetch again") from None
    symbol = dict(zip(names["protein"], names["symbol"]))
    score = without_text_mining(links[list(STRING_CHANNELS)].to_numpy())
    frame = pd.DataFrame({"symbol_1": links["protein1"].map(symbol), "symbol_2": links["protein2"].map(symbol),
                          "combined_score": score}).dropna()
    frame = frame[(frame["symbol_1"] != frame["symbol_2"]) & (frame["combined_score"] >= MEDIUM)]
    low = np.minimum(frame["symbol_1"], frame["symbol_2"])
    high = np.maximum(frame["symbol_1"], frame["symbol_2"])
    frame = pd.DataFrame({"symbol_1": low, "symbol_2": high, "combined_score": frame["combined_score"]})
    frame = frame.groupby(["symbol_1", "symbol_2"], as_index=False)["combined_score"].max()
    medium = frame[frame["combined_score"] < STRONG]
    both_ends = pd.concat([medium.rename(columns={"symbol_1": "gene", "symbol_2": "other"}),
                           medium.rename(columns={"symbol_2": "gene", "symbol_1": "other"})])
    best = both_ends.sort_values(["gene", "combined_score", "other"], ascending=[True, False, True],
                                 kind="stable").groupby("gene").head(MEDIUM_PER_GENE)
    kept = set(zip(np.minimum(best["gene"], best["other"]), np.maximum(best["gene"], best["other"])))
    keep = (frame["combined_score"] >= STRONG) | pd.Series(
        [pair in kept for pair in zip(frame["symbol_1"], frame["symbol_2"])], index=frame.index)
    return frame[keep].reset_index(drop=True)


def _write_record(path: Path, record: dict) -> None:
    record = {**record, "source": "MGI, MP, uPheno, STRING (fetched by variantprio)",
              "written_by": f"variantprio {__version__}"}
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(record, indent=1) + "\n")

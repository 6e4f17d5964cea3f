"""Solved benchmark cases from GA4GH phenopackets (schema v2), read from a ZIP or a directory.

A case carries what the benchmark needs to spike and to score: observed/excluded HPO terms, sex,
the causal gene and disease, and the causal variants as GRCh38 `vcfRecord`s with their allelic
state. Cases whose causal variants lack a `vcfRecord` (mostly structural variants) stay in the list
with `spikeable == False`, so the benchmark can count them instead of dropping them silently.
"""

from __future__ import annotations

import json
import logging
import random
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from ...errors import InputError
from ...core.genome import canonical_chrom
from ...core.hpoterms import feature_terms

log = logging.getLogger(__name__)

# GENO allelic-state terms: phenopackets give the id and (usually) the label.
_ALLELIC_STATES = {
    "GENO:0000135": "heterozygous",
    "GENO:0000136": "homozygous",
    "GENO:0000134": "hemizygous",
}


@dataclass(frozen=True)
class CausalVariant:
    """One causal allele as the phenopacket states it (VCF-style, GRCh38, UCSC contig names)."""

    chrom: str
    pos: int
    ref: str
    alt: str
    allelic_state: str  # heterozygous / homozygous / hemizygous

    @property
    def key(self) -> str:
        return f"{self.chrom}:{self.pos}:{self.ref}>{self.alt}"

    @property
    def variant_class(self) -> str:
        """SNV, MNV, insertion, deletion or delins (after trimming the shared anchor base)."""
        ref, alt = self.ref, self.alt
        while len(ref) > 1 and len(alt) > 1 and ref[0] == alt[0]:
            ref, alt = ref[1:], alt[1:]
        while len(ref) > 1 and len(alt) > 1 and ref[-1] == alt[-1]:
            ref, alt = ref[:-1], alt[:-1]
        if len(ref) == len(alt):
            return "SNV" if len(ref) == 1 else "MNV"
        if len(ref) == 1 and alt[0] == ref:
            return "insertion"
        if len(alt) == 1 and ref[0] == alt:
            return "deletion"
        return "delins"


@dataclass(frozen=True)
class Case:
    """One solved case: phenotype, sex, diagnosis and causal variants."""

    case_id: str
    source: str
    sex: str  # MALE, FEMALE or UNKNOWN
    observed: tuple[str, ...]
    excluded: tuple[str, ...]
    gene_symbol: str
    disease_id: str | None
    disease_label: str | None
    variants: tuple[CausalVariant, ...]
    n_without_vcf_record: int  # causal variants stated without a vcfRecord
    pmids: tuple[str, ...] = ()  # the case's publications ('PMID:...', metaData.externalReferences)

    @property
    def spikeable(self) -> bool:
        """All causal variants have a vcfRecord (a half-known compound het cannot be spiked fairly)."""
        return bool(self.variants) and self.n_without_vcf_record == 0

    @property
    def genotype(self) -> str:
        """het, hom, comphet or hemi: how the causal alleles sit in the proband."""
        states = [v.allelic_state for v in self.variants]
        if "hemizygous" in states:
            return "hemi"
        if "homozygous" in states:
            return "hom"
        return "comphet" if len(self.variants) >= 2 else "het"

    @property
    def mode(self) -> str:
        """Mode of inheritance implied by the genotype and the contig (AD, AR, XD, XR, MT)."""
        chrom = self.variants[0].chrom if self.variants else ""
        if chrom == "chrM":
            return "MT"
        if chrom == "chrX":
            return "XD" if self.genotype == "het" else "XR"
        return "AD" if self.genotype == "het" else "AR"

    @property
    def variant_class(self) -> str:
        """Class of the causal variant(s); a pair of different classes joins them with '+'."""
        return "+".join(sorted({v.variant_class for v in self.variants})) or "none"

    @property
    def effective_sex(self) -> str:
        """Sex used for the spike: a hemizygous chrX call implies one X, i.e. a male, even when the
        packet says FEMALE (61 dev cases do; the genotype is the better-curated field)."""
        if self.genotype == "hemi" and self.variants[0].chrom == "chrX":
            return "MALE"
        return self.sex


def _allelic_state(descriptor: dict[str, Any]) -> str:
    state = descriptor.get("allelicState") or {}
    label = (state.get("label") or "").lower()
    return _ALLELIC_STATES.get(state.get("id", ""), label) or "heterozygous"


def _causal_variants(interpretations: list[dict[str, Any]]) -> tuple[list[CausalVariant], int, set[str]]:
    """vcfRecord variants, the count of causal variants without one, and the gene symbols named."""
    variants: list[CausalVariant] = []
    missing = 0
    genes: set[str] = set()
    for interpretation in interpretations:
        diagnosis = interpretation.get("diagnosis") or {}
        for gi in diagnosis.get("genomicInterpretations") or []:
            descriptor = (gi.get("variantInterpretation") or {}).get("variationDescriptor")
            if descriptor is None:
                gene = (gi.get("gene") or {}).get("symbol")
                if gene:
                    genes.add(gene)
                missing += 1
                continue
            symbol = (descriptor.get("geneContext") or {}).get("symbol")
            if symbol:
                genes.add(symbol)
            record = descriptor.get("vcfRecord")
            if not record or not record.get("ref") or not record.get("alt"):
                missing += 1
                continue
            variants.append(CausalVariant(canonical_chrom(str(record["chrom"])), int(record["pos"]),
                                          record["ref"].upper(), record["alt"].upper(),
                                          _allelic_state(descriptor)))
    return _merge_duplicate_hets(variants), missing, genes


def _merge_duplicate_hets(variants: list[CausalVariant]) -> list[CausalVariant]:
    """The same allele listed twice as heterozygous is a homozygous genotype."""
    counts = Counter(v.key for v in variants)
    out: list[CausalVariant] = []
    for v in variants:
        if any(o.key == v.key for o in out):
            continue
        if counts[v.key] > 1:
            v = CausalVariant(v.chrom, v.pos, v.ref, v.alt, "homozygous")
        out.append(v)
    return out


def _terms(packet: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """HPO terms only (the store also records non-HPO features), each once, in packet order."""
    observed, excluded, _ = feature_terms(packet.get("phenotypicFeatures") or [])
    hpo = lambda terms: tuple(dict.fromkeys(t for t in terms if t.startswith("HP:")))  # noqa: E731
    return hpo(observed), hpo(excluded)


def case_from_packet(packet: dict[str, Any], source: str) -> Case | None:
    """A Case from one parsed phenopacket; None when it names no causal gene (nothing to score)."""
    interpretations = packet.get("interpretations") or []
    variants, missing, genes = _causal_variants(interpretations)
    if not genes:
        return None
    disease = ((interpretations[0].get("diagnosis") or {}).get("disease") if interpretations else None) or {}
    if not disease and packet.get("diseases"):
        disease = packet["diseases"][0].get("term") or {}
    sex = str((packet.get("subject") or {}).get("sex") or "UNKNOWN_SEX").upper()
    observed, excluded = _terms(packet)
    return Case(case_id=str(packet.get("id") or Path(source).stem), source=source,
                sex=sex if sex in ("MALE", "FEMALE") else "UNKNOWN", observed=observed,
                excluded=excluded, gene_symbol=sorted(genes)[0], disease_id=disease.get("id"),
                disease_label=disease.get("label"), variants=tuple(variants),
                n_without_vcf_record=missing, pmids=_pmids(packet))


def _pmids(packet: dict[str, Any]) -> tuple[str, ...]:
    """The publications the case was curated from: the benchmark withholds annotation rows that
    cite only these (a new patient is in no paper yet)."""
    references = (packet.get("metaData") or {}).get("externalReferences") or []
    ids = (str(r.get("id") or "").strip() for r in references if isinstance(r, dict))
    return tuple(dict.fromkeys(i for i in ids if i.startswith("PMID:")))


def _packets(path: Path) -> Iterator[tuple[str, bytes]]:
    """(source name, JSON bytes) of every *.json in a ZIP or below a directory, in name order."""
    if path.is_dir():
        for file in sorted(path.rglob("*.json")):
            yield str(file.relative_to(path)), file.read_bytes()
        return
    try:
        with zipfile.ZipFile(path) as archive:
            for name in sorted(n for n in archive.namelist() if n.endswith(".json")):
                yield name, archive.read(name)
    except zipfile.BadZipFile:
        raise InputError("not a ZIP archive or directory of phenopackets", path=str(path),
                         hint="pass a .zip of phenopacket JSON files or a directory holding them") from None


def read_cases(path: Path | str) -> list[Case]:
    """Every case in a ZIP or directory of phenopackets (v2 JSON); unusable packets are logged."""
    path = Path(path)
    if not path.exists():
        raise InputError("cases not found", path=str(path),
                         hint="pass a phenopacket ZIP or directory with --cases")
    cases: list[Case] = []
    skipped = 0
    for name, raw in _packets(path):
        try:
            packet = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise InputError(f"not valid JSON ({err})", path=f"{path}/{name}",
                             hint="remove or fix this phenopacket") from None
        case = case_from_packet(packet, name) if isinstance(packet, dict) else None
        if case is None:
            skipped += 1
            continue
        cases.append(case)
    if not cases:
        raise InputError("no phenopackets with a causal gene found", path=str(path),
                         hint="phenopackets need interpretations[].diagnosis.genomicInterpretations")
    log.info("read %d cases from %s (%d packets without a causal gene skipped)", len(cases), path, skipped)
    return cases


def sample_cases(cases: list[Case], limit: int | None, seed: int, spikeable_only: bool = True) -> list[Case]:
    """A reproducible sample of `limit` cases (all of them without a limit), in input order; only
    spikeable ones unless `spikeable_only` is off (phenotype-only benchmarks need no variant)."""
    usable = [c for c in cases if c.spikeable or not spikeable_only]
    if limit is None or limit >= len(usable):
        return usable
    chosen = set(random.Random(seed).sample(range(len(usable)), limit))
    return [c for i, c in enumerate(usable) if i in chosen]

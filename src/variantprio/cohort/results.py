"""Reading a results directory (`--out` of `run`, `demo` or a batch) for the cohort database.

Per proband: the ranked genes and variants, the HPO terms and data versions from their Parquet
metadata, the family from the sample sheet's PED, and the genotypes of every variant of the
proband's VCF (the ingest table under `_vcf/`). Everything is checked before anything is loaded.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..core.genome import in_par
from ..core.pedigree import Family, read_ped, singleton
from ..errors import InputError
from ..schemas import col
from ..sheet import load_sample_sheet, vcf_ids
from ..tables import Provenance, read_table

log = logging.getLogger(__name__)

# Where a variant lies decides its ploidy: 0 autosome or PAR, 1 chrX, 2 chrY (outside the PARs), 3 chrM.
REGION_AUTOSOMAL, REGION_X, REGION_Y, REGION_MT = 0, 1, 2, 3
_GENE_COLUMNS = [col.rank, col.gene_symbol, col.combined_score, col.posterior, col.phenotype_score, col.variant_score,
                 col.mode, col.best_variant, col.disease_id, col.disease_name]
_RANKED_COLUMNS = [col.chrom, col.pos, col.ref, col.alt, col.gene_symbol, col.gene_rank, col.variant_score,
                   col.consequence, col.hgvs_c, col.hgvs_p, col.is_best]


@dataclass
class ProbandResults:
    """One proband's analysis as found in a results directory."""

    sample_id: str
    results_dir: Path
    family: Family
    genes: pa.Table
    ranked: pa.Table
    provenance: Provenance
    callset_path: Path
    callset_name: str
    analysed_at: datetime
    config_sha256: str

    @property
    def terms(self) -> list[tuple[str, bool]]:
        extra = self.provenance.extra
        return ([(t, False) for t in extra.get("observed_terms") or []]
                + [(t, True) for t in extra.get("excluded_terms") or []])

    @property
    def hpo_version(self) -> str | None:
        sources = self.provenance.sources
        return sources.get("HPO annotations") or sources.get("HPO")

    def fingerprint(self, callset_fingerprint: str) -> str:
        """Same results give the same fingerprint (adding twice changes nothing); new data, terms,
        knowledge or tool version give a new one (a re-analysis)."""
        digest = hashlib.sha256(_ipc_bytes(self.genes.select([col.rank, col.gene_symbol, col.combined_score])))
        digest.update(json.dumps([self.sample_id, callset_fingerprint, self.terms, self.provenance.sources,
                                  self.provenance.tool_version, self.provenance.genome_build],
                                 sort_keys=True).encode())
        return digest.hexdigest()


@dataclass
class Callset:
    """The genotypes of one VCF: variant keys (with region) and one row per sample x variant."""

    name: str
    fingerprint: str
    genome_build: str | None
    samples: list[str]
    variants: pa.Table  # chrom, pos, ref, alt, region
    genotypes: pa.Table  # sample_id, row (into variants), zyg


def _ipc_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def find_probands(results_dir: Path, samples_tsv: Path | None = None,
                  only: list[str] | None = None) -> list[ProbandResults]:
    """The probands of a results directory that have ranked results (failed or unrun ones are
    skipped with a warning); `only` restricts to given sample IDs, each of which must be there."""
    results_dir = Path(results_dir)
    if not results_dir.is_dir():
        raise InputError("results directory not found", path=str(results_dir),
                         hint="pass the --out folder of `variantprio run`, `demo` or a batch's results folder")
    sheet_path = samples_tsv or results_dir / ".variantprio" / "samples.tsv"
    if not Path(sheet_path).is_file():
        raise InputError("no sample sheet for this results directory", path=str(sheet_path),
                         hint="pass --samples with the batch's sample sheet (config/samples.tsv)")
    sheet = load_sample_sheet(sheet_path)
    ids = vcf_ids(sheet["vcf"])
    wanted = list(only) if only else list(sheet.index)
    unknown = [s for s in wanted if s not in sheet.index]
    if unknown:
        raise InputError(f"sample(s) {', '.join(unknown)} not in the sample sheet", path=str(sheet_path),
                         hint="use sample_id values of the sheet")
    found = []
    for sample in wanted:
        row = sheet.loc[sample]
        genes_path = results_dir / sample / "genes.parquet"
        if not genes_path.exists():
            if only:
                raise InputError("no ranked results for this proband", path=str(genes_path),
                                 hint="run the workflow for it first")
            log.warning("%s: no genes.parquet (failed or not run): skipped", sample)
            continue
        found.append(_proband(results_dir, sample, row, ids[row["vcf"]], Path(sheet_path)))
    return found


def _proband(results_dir: Path, sample: str, row, vcf_id: str, sheet_path: Path) -> ProbandResults:
    genes, prov = read_table(results_dir / sample / "genes.parquet", "genes", columns=_GENE_COLUMNS)
    ranked, _ = read_table(results_dir / sample / "variants.parquet", "ranked_variants", columns=_RANKED_COLUMNS)
    callset_path = results_dir / "_vcf" / vcf_id / "variants.parquet"
    if not callset_path.exists():
        raise InputError("the proband's variant table is missing", path=str(callset_path),
                         hint="keep the _vcf/ folder of the results directory")
    if row["ped"]:
        ped_path = Path(row["ped"])
        if not ped_path.is_absolute() and not ped_path.exists():
            ped_path = sheet_path.parent / ped_path
        family = read_ped(ped_path).family_of(sample)
    else:
        family = singleton(sample)
        family.family_id = row["family_id"] or sample
    mtime = (results_dir / sample / "genes.parquet").stat().st_mtime
    analysed_at = datetime.fromtimestamp(mtime, timezone.utc).replace(tzinfo=None, microsecond=0)
    metadata = pq.ParquetFile(results_dir / sample / "genes.parquet").metadata.metadata or {}
    config_sha256 = metadata.get(b"variantprio.config_sha256", b"").decode()
    return ProbandResults(sample, results_dir, family, genes, ranked, prov, callset_path, vcf_id, analysed_at,
                          config_sha256)


def variant_regions(chrom: np.ndarray, pos: np.ndarray, build: str | None) -> np.ndarray:
    """REGION_* code of each variant (the pseudo-autosomal regions count as autosomal)."""
    chrom = np.asarray(chrom, dtype=object)
    region = np.full(len(chrom), REGION_AUTOSOMAL, np.int16)
    par = in_par(chrom.astype(str), np.asarray(pos), build or "GRCh38")
    region[(chrom == "chrX") & ~par] = REGION_X
    region[(chrom == "chrY") & ~par] = REGION_Y
    region[chrom == "chrM"] = REGION_MT
    return region


def read_callset(path: Path, name: str) -> Callset:
    """The genotypes of an ingest table (structural variants left out: their keys are symbolic)."""
    table, prov = read_table(path, "variants", columns=[col.chrom, col.pos, col.ref, col.alt, col.is_sv, col.zygosity])
    table = table.filter(pc.invert(table.column(col.is_sv)))
    fingerprint = hashlib.sha256(_ipc_bytes(table.select([col.chrom, col.pos, col.ref, col.alt, col.zygosity])))
    fingerprint.update(json.dumps(prov.samples).encode())
    n_samples = len(prov.samples)
    zyg = pc.list_flatten(table.column(col.zygosity)).to_numpy(zero_copy_only=False)
    if len(zyg) != table.num_rows * n_samples:
        raise InputError("genotype lists do not match the sample list of the file", path=str(path),
                         hint="re-run ingest for this VCF")
    variants = pa.table({
        col.chrom: table.column(col.chrom), col.pos: table.column(col.pos), col.ref: table.column(col.ref),
        col.alt: table.column(col.alt),
        "region": variant_regions(table.column(col.chrom).to_numpy(zero_copy_only=False),
                                  table.column(col.pos).to_numpy(), prov.genome_build)})
    rows = np.repeat(np.arange(table.num_rows, dtype=np.int64), n_samples)
    sample_index = np.tile(np.arange(n_samples, dtype=np.int32), table.num_rows)
    genotypes = pa.table({"sample_id": pa.DictionaryArray.from_arrays(sample_index, pa.array(prov.samples)),
                          "row": rows, "zyg": zyg.astype(np.int16)})
    return Callset(name, fingerprint.hexdigest(), prov.genome_build, list(prov.samples), variants, genotypes)

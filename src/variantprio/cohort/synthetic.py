"""Synthetic results directories, as `run` or a batch writes them, for the cohort tests and
`bench cohort`: the stage tables are written through the real writers and contracts, with the
genotypes, ranked genes and HPO terms the caller chooses (no pipeline run needed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from ..schemas import SCHEMAS, col
from ..tables import Provenance, write_table


@dataclass
class SyntheticFamily:
    """One family's VCF and its proband's results. `zygosity` is variants x sequenced members
    (-1 missing, 0 hom-ref, 1 het, 2 hom-alt, 3 hemizygous); `members` are PED rows
    (id, father, mother, sex 1/2/0, affected) and the first `n_sequenced` of them have VCF columns."""

    family_id: str
    proband: str
    members: list[tuple[str, str | None, str | None, int, bool | None]]
    chrom: np.ndarray
    pos: np.ndarray
    ref: np.ndarray
    alt: np.ndarray
    zygosity: np.ndarray
    sequenced: list[str] = field(default_factory=list)
    genes: list[tuple[str, float]] = field(default_factory=list)  # gene, combined score (ranked by it)
    terms: list[str] = field(default_factory=lambda: ["HP:0001250"])
    vcf_name: str = ""


def _filled(schema_name: str, n: int, given: dict[str, pa.Array]) -> pa.Table:
    """A table of the contract: given columns, nulls (or zeros/False/'' where required) elsewhere."""
    columns = {}
    for f in SCHEMAS[schema_name]:
        if f.name in given:
            columns[f.name] = pa.array(given[f.name], f.type) if not isinstance(given[f.name], pa.Array) \
                else given[f.name].cast(f.type)
        elif f.nullable:
            columns[f.name] = pa.nulls(n, f.type)
        elif pa.types.is_boolean(f.type):
            columns[f.name] = pa.array(np.zeros(n, bool))
        elif pa.types.is_string(f.type):
            columns[f.name] = pa.array([""] * n, f.type)
        else:
            columns[f.name] = pa.array(np.zeros(n), f.type)
    return pa.table(columns)


def write_results_dir(out: Path, families: list[SyntheticFamily], *, hpo_version: str = "2025-01-16",
                      build: str = "GRCh38", tool_version: str | None = None) -> Path:
    """OUT/.variantprio/samples.tsv, OUT/data/<family>.ped, OUT/_vcf/<vcf>/variants.parquet and
    OUT/<proband>/{genes,variants}.parquet for every family."""
    out = Path(out)
    (out / ".variantprio").mkdir(parents=True, exist_ok=True)
    (out / "data").mkdir(exist_ok=True)
    sheet = ["sample_id\tfamily_id\tvcf\tped\thpo\texcluded_hpo\tphenopacket"]
    sources = {"HPO": hpo_version, "HPO annotations": hpo_version, "gene_model": "synthetic"}
    for fam in families:
        vcf_name = fam.vcf_name or f"{fam.family_id}.vcf.gz"
        ped = out / "data" / f"{fam.family_id}.ped"
        ped.write_text("".join(f"{fam.family_id}\t{m}\t{f or 0}\t{mo or 0}\t{sex}\t"
                               f"{ {True: 2, False: 1, None: 0}[aff] }\n" for m, f, mo, sex, aff in fam.members))
        sheet.append(f"{fam.proband}\t{fam.family_id}\t/data/vcf/{vcf_name}\t{ped}\t{','.join(fam.terms)}\t\t")
        _write_callset(out / "_vcf" / vcf_name.split(".vcf")[0] / "variants.parquet", fam, build, tool_version)
        _write_ranked(out / fam.proband, fam, build, sources, tool_version)
    (out / ".variantprio" / "samples.tsv").write_text("\n".join(sheet) + "\n")
    return out


def _provenance(build: str, sources: dict, samples: list[str], extra: dict, tool_version: str | None) -> Provenance:
    prov = Provenance(build, dict(sources), list(samples), dict(extra))
    if tool_version:
        prov.tool_version = tool_version
    return prov


def _write_callset(path: Path, fam: SyntheticFamily, build: str, tool_version: str | None) -> None:
    n, k = fam.zygosity.shape
    zyg = np.asarray(fam.zygosity, np.int8)
    gt = np.where(zyg == 3, 1, np.maximum(zyg, -1)).astype(np.int8)
    offsets = pa.array(np.arange(0, (n + 1) * k, k, dtype=np.int32))
    as_list = lambda values, t: pa.ListArray.from_arrays(offsets, pa.array(values.ravel(), t))  # noqa: E731
    table = _filled("variants", n, {
        col.variant_idx: np.arange(n), col.chrom: fam.chrom, col.pos: fam.pos, col.ref: fam.ref, col.alt: fam.alt,
        col.is_sv: np.zeros(n, bool), col.filter: ["PASS"] * n,
        col.gt: as_list(gt, pa.int8()), col.zygosity: as_list(zyg, pa.int8())})
    sequenced = fam.sequenced or [m[0] for m in fam.members[:k]]
    write_table(table, path, "variants", _provenance(build, {}, sequenced, {}, tool_version))


def _write_ranked(directory: Path, fam: SyntheticFamily, build: str, sources: dict, tool_version: str | None) -> None:
    genes = sorted(fam.genes, key=lambda g: -g[1])
    n = len(genes)
    carried = np.flatnonzero(fam.zygosity[:, 0] > 0) if len(fam.zygosity) else np.array([], int)
    best = [int(carried[i % len(carried)]) if len(carried) else 0 for i in range(n)]
    label = [f"{fam.chrom[i]}:{fam.pos[i]}:{fam.ref[i]}>{fam.alt[i]}" for i in best]
    extra = {"observed_terms": list(fam.terms), "excluded_terms": [], "proband": fam.proband}
    prov = _provenance(build, sources, [m[0] for m in fam.members], extra, tool_version)
    scores = np.array([s for _, s in genes], float)
    write_table(_filled("genes", n, {
        col.rank: np.arange(1, n + 1, dtype=float), col.gene_symbol: [g for g, _ in genes], col.combined_score: scores,
        col.posterior: scores / scores.sum() if n else scores, col.best_variant: label,
        col.best_variant_idx: best}), directory / "genes.parquet", "genes", prov)
    write_table(_filled("ranked_variants", n, {
        col.gene_rank: np.arange(1, n + 1, dtype=float), col.gene_symbol: [g for g, _ in genes],
        col.variant_idx: best, col.variant: label, col.chrom: fam.chrom[best] if n else [],
        col.pos: fam.pos[best] if n else [], col.ref: fam.ref[best] if n else [], col.alt: fam.alt[best] if n else [],
        col.variant_score: np.full(n, 0.5), col.is_best: np.ones(n, bool), col.fits_allowed_mode: np.ones(n, bool)}),
        directory / "variants.parquet", "ranked_variants", prov)

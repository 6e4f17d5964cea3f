"""candidates.vcf.gz: the variants of the top genes with rank and scores in INFO (bgzip + tabix)."""

from __future__ import annotations

import itertools
import math
from datetime import date
from pathlib import Path

import pysam

from ..core.genome import CONTIG_LENGTHS
from ..schemas import col
from ..tables import atomic_path
from .data import ReportData

# INFO keys: Number=. values are aligned with VP_GENE (a variant can lie in several top genes).
_INFO_HEADER = [
    ("VP_GENE", ".", "String", "Top-ranked gene(s) the variant was scored in"),
    ("VP_RANK", ".", "Float", "Rank of each gene (1 = best; ties share the mean rank)"),
    ("VP_COMBINED", ".", "Float", "Combined gene score in [0,1]"),
    ("VP_PHENO", ".", "Float", "Calibrated phenotype score of each gene"),
    ("VP_VSCORE", ".", "Float", "Variant score in [0,1], per gene"),
    ("VP_MODE", ".", "String", "Modes of inheritance the variant fits, '|'-joined per gene"),
    ("VP_CSQ", ".", "String", "Most severe consequence per gene"),
    ("VP_HGVSP", ".", "String", "HGVS protein notation per gene"),
    ("VP_CONSEQUENCE", ".", "Float", "Consequence-severity score component"),
    ("VP_RARITY", ".", "Float", "Rarity score component"),
    ("VP_CLINVAR", ".", "Float", "ClinVar score component"),
    ("VP_INSILICO", ".", "Float", "In-silico score component"),
    ("VP_SPLICE", ".", "Float", "SpliceAI score component"),
    ("VP_CONSTRAINT", ".", "Float", "Gene-constraint score component"),
    ("VP_ACMG", ".", "String", "ACMG/AMP-style evidence codes, '|'-joined per gene (explanation only)"),
    ("VP_BEST", "0", "Flag", "The variant is (part of) the best explanation of a top gene"),
]
_FLOAT_INFO = {"VP_RANK": col.gene_rank, "VP_VSCORE": col.variant_score, "VP_CONSEQUENCE": col.score_consequence,
               "VP_RARITY": col.score_rarity, "VP_CLINVAR": col.score_clinvar, "VP_INSILICO": col.score_insilico,
               "VP_SPLICE": col.score_splice, "VP_CONSTRAINT": col.score_constraint}
# Characters with a meaning in INFO values, percent-encoded as VCF 4.3 specifies.
_ESCAPES = str.maketrans({"%": "%25", ";": "%3B", "=": "%3D", ",": "%2C", " ": "%20", "\t": "%09",
                          ":": "%3A"})


def _text(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "."
    return str(value).translate(_ESCAPES) or "."


def _number(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "."
    return f"{float(value):.4g}"


def _contig_order(chroms: list[str], build: str | None) -> list[str]:
    known = list(CONTIG_LENGTHS.get(build or "GRCh38", CONTIG_LENGTHS["GRCh38"]))
    return known + sorted(c for c in set(chroms) if c not in known)


def header_lines(data: ReportData, chroms: list[str], symbolic: list[str]) -> list[str]:
    """Meta-information lines and the column header; `symbolic` ALT IDs (DEL, DUP, ...) get ##ALT."""
    build = data.provenance.genome_build
    lengths = CONTIG_LENGTHS.get(build or "", {})
    lines = ["##fileformat=VCFv4.3", f"##fileDate={date.today():%Y%m%d}",
             f"##source=variantprio {data.provenance.tool_version}"]
    if build:
        lines.append(f"##reference={build}")
    for name, version in sorted(data.provenance.sources.items()):
        lines.append(f"##variantprio_source={_text(name)}:{_text(version)}")
    for chrom in _contig_order(chroms, build):
        if chrom in lengths:
            lines.append(f"##contig=<ID={chrom},length={lengths[chrom]}>")
        elif chrom in chroms:
            lines.append(f"##contig=<ID={chrom}>")
    lines.append(f"##variantprio_proband={_text(data.proband)}")
    for alt_id in symbolic:
        lines.append(f'##ALT=<ID={alt_id},Description="Symbolic allele {alt_id} (structural variant)">')
    for key, number, type_, desc in _INFO_HEADER:
        lines.append(f'##INFO=<ID={key},Number={number},Type={type_},Description="{desc}">')
    lines += ['##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
              '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">',
              '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">',
              '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Read depth of REF and ALT">']
    lines.append("\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT"]
                           + data.samples))
    return lines


def _record(rows: list[dict], genes: dict[str, dict], samples: list[str]) -> str:
    """One VCF line for one variant; `rows` are its variant x gene rows in gene-rank order."""
    first = rows[0]
    gene_rows = [genes[r[col.gene_symbol]] for r in rows]
    info = ["VP_GENE=" + ",".join(_text(r[col.gene_symbol]) for r in rows),
            "VP_COMBINED=" + ",".join(_number(g[col.combined_score]) for g in gene_rows),
            "VP_PHENO=" + ",".join(_number(g[col.phenotype_score]) for g in gene_rows)]
    for key, name in _FLOAT_INFO.items():
        info.append(f"{key}=" + ",".join(_number(r[name]) for r in rows))
    info.append("VP_MODE=" + ",".join("|".join(r[col.fitting_modes]) if _has(r[col.fitting_modes]) else "."
                                      for r in rows))
    info.append("VP_CSQ=" + ",".join(_text(r[col.consequence]) for r in rows))
    info.append("VP_HGVSP=" + ",".join(_text(r[col.hgvs_p]) for r in rows))
    info.append("VP_ACMG=" + ",".join("|".join(t.split(":")[0] for t in r[col.acmg_tags]) if _has(r[col.acmg_tags])
                                      else "." for r in rows))
    if any(r[col.is_best] for r in rows):
        info.append("VP_BEST")
    by_sample = {g["sample"]: g for g in (first[col.genotypes] if _has(first[col.genotypes]) else [])}
    calls = []
    for sample in samples:
        g = by_sample.get(sample, {})
        calls.append(":".join([g.get("gt") or "./.", _number_int(g.get("dp")), _number_int(g.get("gq")),
                               _allele_depths(g)]))
    filt = first[col.filter] if isinstance(first[col.filter], str) and first[col.filter] else "."
    return "\t".join([first[col.chrom], str(int(first[col.pos])), _vcf_id(first.get("vcf_id")), first[col.ref],
                      first[col.alt], _number(first[col.qual]), filt, ";".join(info), "GT:DP:GQ:AD"] + calls)


def _vcf_id(value) -> str:
    """The input record's ID (rsIDs) when ingest's table was given; IDs never contain ';'-breaking
    whitespace, so anything else is dropped."""
    if not isinstance(value, str) or not value or any(c.isspace() for c in value):
        return "."
    return value


def _allele_depths(genotype: dict) -> str:
    """AD (Number=R): REF then this ALT; '.' when the caller gave none."""
    ref, alt = genotype.get("ad_ref"), genotype.get("ad_alt")
    if ref is None and alt is None:
        return "."
    return f"{_number_int(ref)},{_number_int(alt)}"


def _has(values) -> bool:
    return values is not None and len(values) > 0


def _number_int(value) -> str:
    return "." if value is None or (isinstance(value, float) and math.isnan(value)) else str(int(value))


def write_vcf(data: ReportData, path: Path) -> tuple[Path, Path]:
    """Sorted, bgzipped, tabix-indexed VCF of the top genes' variants (one record per variant)."""
    variants = data.variants
    chroms = sorted(set(variants[col.chrom])) if len(variants) else []
    order = {c: i for i, c in enumerate(_contig_order(chroms, data.provenance.genome_build))}
    genes = {g[col.gene_symbol]: g for g in data.genes.to_dict("records")}
    symbolic = sorted({a[1:-1] for a in variants[col.alt] if a.startswith("<") and a.endswith(">")}) \
        if len(variants) else []
    lines = header_lines(data, chroms, symbolic)
    if len(variants):
        ordered = variants.assign(_c=variants[col.chrom].map(order)).sort_values(
            ["_c", col.pos, col.ref, col.alt, col.gene_rank], kind="stable")
        records = ordered.to_dict("records")  # the top genes' variants only
        for _, rows in itertools.groupby(records, key=lambda r: r[col.variant_idx]):
            lines.append(_record(list(rows), genes, data.samples))
    index = Path(str(path) + ".tbi")
    text_path = Path(str(path) + ".txt.tmp")
    try:
        text_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        with atomic_path(path) as tmp_gz, atomic_path(index) as tmp_tbi:
            pysam.tabix_compress(str(text_path), str(tmp_gz), force=True)
            pysam.tabix_index(str(tmp_gz), preset="vcf", force=True, index=str(tmp_tbi))
    finally:
        text_path.unlink(missing_ok=True)
    return path, index

"""`variantprio bench annotate`: time the annotate stage on the background exome (gene model cold
and warm, then with four synthetic tabixed sources) and on a synthetic genome-sized variant table,
beside `bcftools view` of the same exome VCF as the machine-independent reference.

Each annotate run is a child process so its wall time and peak RSS are its own.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ...core.genome import CONTIG_LENGTHS
from ...schemas import VARIANTS, col
from ...tables import Provenance, write_table

_RUN = ("import json,sys,time,resource;from variantprio import annotate as A;"
        "a=json.loads(sys.argv[1]);t=time.perf_counter();"
        "A.run(A.AnnotateInputs(a['variants'],**a['inputs']),A.AnnotateOutputs(a['out']),"
        "A.AnnotateOptions(**a['options']));"
        "print(json.dumps({'seconds':time.perf_counter()-t,"
        "'rss_mb':resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024}))")


@dataclass
class BenchAnnotateResult:
    rows: list[tuple[str, int, float, float]] = field(default_factory=list)  # label, variants, s, MB
    baseline_s: float = 0.0

    def lines(self) -> list[str]:
        out = [f"bcftools view (exome, reference): {self.baseline_s:.2f}s"]
        for label, n, seconds, rss in self.rows:
            ratio = seconds / self.baseline_s if self.baseline_s else float("nan")
            out.append(f"{label}: {n} variants in {seconds:.2f}s ({n / seconds:,.0f} variants/s, "
                       f"peak RSS {rss:.0f} MB, {ratio:.1f}x bcftools view)")
        return out


def run_annotate(variants: Path, out: Path, gene_model: str | None = None, sources: str | None = None,
                 **options) -> tuple[float, float]:
    """(seconds inside the annotate stage's `run`, peak RSS MB) of one run in a child process;
    `options` are AnnotateOptions."""
    args = json.dumps({"variants": str(variants), "out": str(out), "options": options,
                       "inputs": {"gene_model": gene_model, "sources": sources}})
    done = subprocess.run([sys.executable, "-c", _RUN, args], check=True, capture_output=True, text=True)
    got = json.loads(done.stdout.strip().splitlines()[-1])
    return got["seconds"], got["rss_mb"]


def synthetic_variants(n: int, out: Path, seed: int = 1) -> Path:
    """A variants table of n sorted sites over GRCh38 (90% SNVs, 10% 1-base insertions)."""
    rng = np.random.default_rng(seed)
    names = [c for c in CONTIG_LENGTHS["GRCh38"] if c != "chrM"]
    lengths = np.array([CONTIG_LENGTHS["GRCh38"][c] for c in names], dtype=float)
    per = rng.multinomial(n, lengths / lengths.sum())
    chrom = np.repeat(np.array(names, dtype=object), per)
    pos = np.concatenate([np.sort(rng.integers(1, int(l), k)) for k, l in zip(per, lengths)])
    bases = np.array(list("ACGT"), dtype=object)
    ref = bases[rng.integers(0, 4, n)]
    alt = bases[(rng.integers(1, 4, n) + rng.integers(0, 4, n)) % 4]
    alt = np.where(alt == ref, bases[(np.searchsorted(list("ACGT"), ref.astype(str)) + 1) % 4], alt)
    ins = rng.random(n) < 0.1
    alt[ins] = ref[ins] + "T"
    cols = {col.variant_idx: np.arange(n), col.chrom: chrom, col.pos: pos, col.ref: ref, col.alt: alt,
            col.is_sv: np.zeros(n, bool)}
    table = pa.table({f.name: pa.array(cols[f.name], f.type) if f.name in cols else pa.nulls(n, f.type)
                      for f in VARIANTS})
    return write_table(table, out, "variants", Provenance(genome_build="GRCh38"))


_VCF_COLUMNS = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
_SOURCE_HEADERS = {"gnomad": _VCF_COLUMNS, "clinvar": _VCF_COLUMNS,
                   "cadd": "## CADD GRCh38-v1.7\n#Chrom\tPos\tRef\tAlt\tRawScore\tPHRED\n",
                   "revel": "#chr\tgrch38_pos\tref\talt\tREVEL\n"}


def synthetic_sources(variants: Path, directory: Path, seed: int = 2) -> Path:
    """gnomAD- and ClinVar-style VCFs and CADD/REVEL-style TSVs at the variants' sites (plus as
    many decoy sites), bgzipped and tabix-indexed; returns the sources config YAML. Written contig
    by contig (the variants are sorted), so a genome's sources take little memory to make."""
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    contigs = "".join(f"##contig=<ID={c},length={n}>\n" for c, n in CONTIG_LENGTHS["GRCh38"].items())
    plain = {k: directory / (f"{k}.vcf" if k in ("gnomad", "clinvar") else f"{k}.tsv") for k in _SOURCE_HEADERS}
    handles = {k: open(path, "w") for k, path in plain.items()}
    try:
        for k, handle in handles.items():
            vcf = "##fileformat=VCFv4.2\n" + contigs if k in ("gnomad", "clinvar") else ""
            handle.write(vcf + _SOURCE_HEADERS[k])
        for sites in _contig_sites(variants):
            _write_source_lines(handles, sites, rng)
    finally:
        for handle in handles.values():
            handle.close()
    files = {k: _index(path, "vcf" if k in ("gnomad", "clinvar") else "tsv") for k, path in plain.items()}
    config = directory / "sources.yaml"
    config.write_text("sources:\n" + "".join(
        f"  - {{name: {k}, kind: {k}, path: {p}, version: synthetic, build: GRCh38}}\n" for k, p in files.items()))
    return config


def _contig_sites(variants: Path):
    """Per contig of the (sorted) variants: their alleles and a decoy one base further, sorted."""
    key = [col.chrom, col.pos, col.ref, col.alt]
    held = None
    for batch in pq.ParquetFile(variants).iter_batches(batch_size=500_000, columns=key):
        t = batch.to_pandas()
        t = t if held is None else pd.concat([held, t], ignore_index=True)
        last = t[col.chrom].iloc[-1]
        done, held = t[t[col.chrom] != last], t[t[col.chrom] == last]
        for _, part in done.groupby(col.chrom, sort=False):
            yield _with_decoys(part, key)
    if held is not None and len(held):
        yield _with_decoys(held, key)


def _with_decoys(t: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    sites = pd.concat([t, t.assign(pos=t[col.pos] + 1)]).sort_values(col.pos, kind="stable")
    return sites.drop_duplicates(key)


def _write_source_lines(handles: dict, sites: pd.DataFrame, rng: np.random.Generator) -> None:
    n = len(sites)
    af = rng.random(n) / 100
    chrom_pos = sites[col.chrom] + "\t" + sites[col.pos].astype(str)
    alleles = sites[col.ref] + "\t" + sites[col.alt]
    body = chrom_pos + "\t.\t" + alleles  # VCF: an empty ID column between POS and REF
    tsv = chrom_pos + "\t" + alleles
    lines = {
        "gnomad": body + "\t.\tPASS\tAF=" + np.char.mod("%.5g", af).astype(object) + ";AF_grpmax="
                  + np.char.mod("%.5g", af * 2).astype(object) + ";nhomalt=0",
        "clinvar": body[rng.random(n) < 0.1] + "\t.\t.\tCLNSIG=Uncertain_significance;"
                                                "CLNREVSTAT=criteria_provided,_single_submitter",
        "cadd": tsv + "\t0.5\t" + np.char.mod("%.3f", rng.random(n) * 40).astype(object),
        "revel": tsv + "\t" + np.char.mod("%.3f", rng.random(n)).astype(object)}
    for k, text in lines.items():
        if len(text):
            handles[k].write("\n".join(text.tolist()) + "\n")


def _index(path: Path, kind: str) -> Path:
    import pysam

    if kind == "vcf":
        return Path(pysam.tabix_index(str(path), preset="vcf", force=True))
    return Path(pysam.tabix_index(str(path), seq_col=0, start_col=1, end_col=1, meta_char="#", force=True))


_CONVERT = ("import json,sys,time,resource;from pathlib import Path;"
            "from variantprio.annotate.sourceconfig import load_sources;"
            "from variantprio.annotate.sourcedataset import convert_source;"
            "a=json.loads(sys.argv[1]);t=time.perf_counter();"
            "[convert_source(s,Path(a['out'])/s.name) for s in load_sources(a['config'],'GRCh38')];"
            "print(json.dumps({'seconds':time.perf_counter()-t,"
            "'rss_mb':resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024}))")


def run_convert(config: Path, out: Path) -> tuple[Path, float, float]:
    """`resources convert-source` of every source of `config` into `out`/<name> in a child process:
    (the sources config naming the datasets, seconds, peak RSS MB)."""
    args = json.dumps({"config": str(config), "out": str(out)})
    done = subprocess.run([sys.executable, "-c", _CONVERT, args], check=True, capture_output=True, text=True)
    got = json.loads(done.stdout.strip().splitlines()[-1])
    from ...annotate.sourceconfig import load_sources

    converted = out / "sources.yaml"
    converted.write_text("sources:\n" + "".join(
        f"  - {{name: {s.name}, kind: {s.kind}, path: {out / s.name}, version: {s.version}, build: {s.build}}}\n"
        for s in load_sources(config, "GRCh38")))
    return converted, got["seconds"], got["rss_mb"]


def bench_genome_sources(genome: Path, work: Path, n: int, common: dict, tabix: bool
                         ) -> list[tuple[str, int, float, float]]:
    """The synthetic genome with four synthetic sources: joined in bulk from the bgzipped files,
    from their Parquet conversions (and the conversion itself), and, with `tabix`, by tabix queries."""
    rows = []
    config = synthetic_sources(genome, work / "genome-sources")
    label = "synthetic genome, gene model + 4 sources"
    if tabix:
        s, rss = run_annotate(genome, work / "genome.tabix.parquet", sources=str(config),
                              bulk_join_min_variants=n, **common)
        rows.append((f"{label}, tabix queries", n, s, rss))
    s, rss = run_annotate(genome, work / "genome.bulk.parquet", sources=str(config), bulk_join_min_variants=0, **common)
    rows.append((f"{label}, bulk join of the bgzipped files", n, s, rss))
    converted, s, rss = run_convert(config, work / "genome-converted")
    rows.append(("resources convert-source of the 4 sources (once)", n, s, rss))
    s, rss = run_annotate(genome, work / "genome.converted.parquet", sources=str(converted), **common)
    rows.append((f"{label}, converted to Parquet", n, s, rss))
    return rows


def bench_annotate(vcf: Path, gene_model: Path, genome_variants: int, keep: Path | None = None,
                   threads: int = 2, genome_sources: bool = True, genome_tabix: bool = False) -> BenchAnnotateResult:
    """Exome: cold cache, warm cache, warm + four sources; then a synthetic genome: gene model only,
    and with four sources (bulk joins; `genome_tabix` adds the slow tabix-query run)."""
    from ... import ingest

    result = BenchAnnotateResult()
    with tempfile.TemporaryDirectory(prefix="vp-bench-annotate-") as tmp:
        work = keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        subprocess.run(["bcftools", "view", "-Ou", "-o", "/dev/null", str(vcf)], check=True)
        result.baseline_s = time.perf_counter() - t0
        variants = work / "exome.variants.parquet"
        ingest.run(ingest.IngestInputs(vcf), ingest.IngestOutputs(variants))
        n = pq.read_metadata(variants).num_rows
        cache = work / "cache"
        common = {"gene_model": str(gene_model), "threads": threads, "cache_dir": str(cache)}
        for label in ("exome, gene model, cold cache", "exome, gene model, warm cache"):
            s, rss = run_annotate(variants, work / "exome.annotations.parquet", **common)
            result.rows.append((label, n, s, rss))
        config = synthetic_sources(variants, work / "sources")
        s, rss = run_annotate(variants, work / "exome.sources.parquet", sources=str(config), **common)
        result.rows.append(("exome, gene model + 4 sources (gnomAD, ClinVar, CADD, REVEL)", n, s, rss))
        if genome_variants:
            genome = synthetic_variants(genome_variants, work / "genome.variants.parquet")
            s, rss = run_annotate(genome, work / "genome.annotations.parquet", **common)
            result.rows.append(("synthetic genome, gene model", genome_variants, s, rss))
            if genome_sources:
                result.rows += bench_genome_sources(genome, work, genome_variants, common, genome_tabix)
    return result

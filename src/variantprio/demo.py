"""Demo dataset the project generates itself: two trios on a small synthetic gene model.

Real gene symbols (so the embedded HPO annotations apply) sit at synthetic GRCh38 coordinates.
Family FAM1: the affected child carries a de novo frameshift in SCN1A (Dravet syndrome terms).
Family FAM2: the affected child is compound heterozygous in CFTR (one variant from each parent,
cystic-fibrosis terms). Around them: a few hundred inherited background variants in ~40 genes,
some rare and damaging in genes whose phenotypes partly overlap, so ranking has real work to do.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass
from pathlib import Path

import pysam

from .core.genome import CONTIG_LENGTHS
from .tables import atomic_path

BUILD = "GRCh38"

# Decoys include genes with overlapping phenotypes (epilepsy, lung disease) and long, variant-rich genes.
DEMO_GENE_SYMBOLS = [
    "SCN1A", "CFTR", "SCN2A", "KCNQ2", "STXBP1", "CDKL5", "ALDH7A1", "DNAH5", "DNAI1", "SERPINA1",
    "TTN", "MYH7", "FBN1", "COL1A1", "COL2A1", "BRCA2", "DMD", "NF1", "PKD1", "MUC16", "OBSCN",
    "HMCN1", "RYR1", "USH2A", "LAMA2", "SYNE1", "NEB", "DST", "AHNAK2", "FLG", "PAH", "GAA",
    "HBB", "LDLR", "APOB", "PCSK9", "MECP2", "FMR1", "TSC2", "SMN1",
]


@dataclass(frozen=True)
class DemoCase:
    """One affected child whose diagnosis the demo plants."""

    family: str
    gene: str
    mode: str  # "de_novo" or "comphet"
    hpo: tuple[str, ...]

    @property
    def child(self) -> str:
        return f"{self.family}-child"

    @property
    def father(self) -> str:
        return f"{self.family}-father"

    @property
    def mother(self) -> str:
        return f"{self.family}-mother"


DEMO_CASES = (
    DemoCase("FAM1", "SCN1A", "de_novo",
             ("HP:0002069", "HP:0002123", "HP:0002133", "HP:0001251", "HP:0001263", "HP:0003593")),
    DemoCase("FAM2", "CFTR", "comphet",
             ("HP:0006528", "HP:0002110", "HP:0001738", "HP:0012236", "HP:0001508")),
)


@dataclass
class _Transcript:
    symbol: str
    chrom: str
    strand: str
    exons: list[tuple[int, int]]  # 1-based inclusive, ascending
    cds: tuple[int, int]  # 1-based inclusive span of the coding sequence

    @property
    def start(self) -> int:
        return self.exons[0][0]

    @property
    def end(self) -> int:
        return self.exons[-1][1]


@dataclass
class DemoData:
    """Paths of the generated inputs."""

    directory: Path
    gene_model: Path
    ped: Path
    vcfs: dict[str, Path]
    samples_tsv: Path


def _layout_transcripts(rng: random.Random) -> list[_Transcript]:
    """Place each gene on a chromosome with 6-12 exons and a CDS from exon 2 to the last exon."""
    chroms = [f"chr{i}" for i in range(1, 23)]
    next_free = {c: 1_000_000 for c in chroms}
    transcripts = []
    for i, symbol in enumerate(DEMO_GENE_SYMBOLS):
        chrom = chroms[i % len(chroms)]
        pos = next_free[chrom] + rng.randint(20_000, 80_000)
        exons = []
        for _ in range(rng.randint(6, 12)):
            length = rng.randint(90, 300)
            exons.append((pos, pos + length - 1))
            pos += length + rng.randint(800, 5000)
        next_free[chrom] = pos + 50_000
        cds_start = exons[1][0] + 20
        cds_end = exons[-1][1] - 60
        transcripts.append(_Transcript(symbol, chrom, rng.choice("+-"), exons, (cds_start, cds_end)))
    return transcripts


def _gtf_lines(tx: _Transcript) -> list[str]:
    """GENCODE-style GTF lines (gene, transcript, exons, CDS, UTRs, start/stop codons)."""
    gene_id = f"ENSGDEMO{zlib.crc32(tx.symbol.encode()) % 10**6:06d}"
    tx_id = gene_id.replace("ENSG", "ENST")
    attrs = (f'gene_id "{gene_id}"; transcript_id "{tx_id}"; gene_name "{tx.symbol}"; '
             f'gene_type "protein_coding"; transcript_type "protein_coding"; tag "MANE_Select";')
    rows = [("gene", tx.start, tx.end, f'gene_id "{gene_id}"; gene_name "{tx.symbol}"; '
                                       f'gene_type "protein_coding";'),
            ("transcript", tx.start, tx.end, attrs)]
    n = len(tx.exons)
    cds_lo, cds_hi = tx.cds
    for k, (a, b) in enumerate(tx.exons):
        number = k + 1 if tx.strand == "+" else n - k
        exon_attrs = f'{attrs} exon_number {number};'
        rows.append(("exon", a, b, exon_attrs))
        lo, hi = max(a, cds_lo), min(b, cds_hi)
        if lo <= hi:
            rows.append(("CDS", lo, hi, exon_attrs))
        for u_lo, u_hi in ((a, min(b, cds_lo - 1)), (max(a, cds_hi + 1), b)):
            if u_lo <= u_hi:
                rows.append(("UTR", u_lo, u_hi, exon_attrs))
    # GENCODE convention: the stop codon lies just outside the CDS feature.
    if tx.strand == "+":
        rows += [("start_codon", cds_lo, cds_lo + 2, attrs), ("stop_codon", cds_hi + 1, cds_hi + 3, attrs)]
    else:
        rows += [("start_codon", cds_hi - 2, cds_hi, attrs), ("stop_codon", cds_lo - 3, cds_lo - 1, attrs)]
    return [f"{tx.chrom}\tDEMO\t{feat}\t{a}\t{b}\t.\t{tx.strand}\t.\t{attr}" for feat, a, b, attr in rows]


@dataclass
class _Variant:
    chrom: str
    pos: int
    ref: str
    alt: str
    genotypes: dict[str, str]  # sample -> "0/1" etc.


_BASES = "ACGT"


def _snv(rng: random.Random, chrom: str, pos: int) -> tuple[str, str]:
    ref = rng.choice(_BASES)
    return ref, rng.choice([b for b in _BASES if b != ref])


def _background_variants(rng: random.Random, transcripts: list[_Transcript], case: DemoCase
                         ) -> list[_Variant]:
    """Inherited variants: each child allele comes from a parent, as Mendel requires."""
    variants = []
    for tx in transcripts:
        n = rng.randint(2, 9) if tx.symbol not in ("TTN", "MUC16", "OBSCN") else rng.randint(12, 20)
        for _ in range(n):
            region = rng.random()
            if region < 0.5:  # exonic
                a, b = rng.choice(tx.exons)
                pos = rng.randint(a, b)
            elif region < 0.9:  # intronic
                k = rng.randrange(len(tx.exons) - 1)
                pos = rng.randint(tx.exons[k][1] + 20, tx.exons[k + 1][0] - 20)
            else:  # up/downstream or intergenic
                pos = tx.end + rng.randint(500, 30_000)
            if rng.random() < 0.85:
                ref, alt = _snv(rng, tx.chrom, pos)
            else:  # small indel, in-frame or not
                ref = rng.choice(_BASES)
                alt = ref + "".join(rng.choice(_BASES) for _ in range(rng.choice((1, 2, 3))))
            father = rng.choice(("0/0", "0/1", "0/1", "1/1"))
            mother = rng.choice(("0/0", "0/1", "0/1", "1/1"))
            child = _transmit(rng, father, mother)
            if father == mother == child == "0/0":
                father = "0/1"
            variants.append(_Variant(tx.chrom, pos, ref, alt,
                                     {case.child: child, case.father: father, case.mother: mother}))
    return variants


def _transmit(rng: random.Random, father: str, mother: str) -> str:
    alleles = sorted(rng.choice(father.split("/")) + rng.choice(mother.split("/")))
    return "/".join(alleles)


def _planted_variants(rng: random.Random, tx: _Transcript, case: DemoCase) -> list[_Variant]:
    """The diagnosis: a de novo frameshift, or two damaging variants in trans."""
    cds_exons = [(max(a, tx.cds[0]), min(b, tx.cds[1])) for a, b in tx.exons
                 if max(a, tx.cds[0]) <= min(b, tx.cds[1])]
    a, b = cds_exons[len(cds_exons) // 2]
    pos = rng.randint(a, b - 2)
    ref = rng.choice(_BASES) + rng.choice(_BASES)
    frameshift = _Variant(tx.chrom, pos, ref, ref[0], {})
    if case.mode == "de_novo":
        frameshift.genotypes = {case.child: "0/1", case.father: "0/0", case.mother: "0/0"}
        return [frameshift]
    frameshift.genotypes = {case.child: "0/1", case.father: "0/0", case.mother: "0/1"}
    # Splice donor: first intronic base after an exon on the + strand, before it on the - strand.
    k = 1 if len(tx.exons) > 3 else 0
    donor = tx.exons[k][1] + 1 if tx.strand == "+" else tx.exons[k + 1][0] - 1
    ref_d, alt_d = _snv(rng, tx.chrom, donor)
    splice = _Variant(tx.chrom, donor, ref_d, alt_d,
                      {case.child: "0/1", case.father: "0/1", case.mother: "0/0"})
    return [frameshift, splice]


def _format_sample(rng: random.Random, gt: str) -> str:
    """GATK-like GT:AD:DP:GQ with allele balance matching the genotype."""
    dp = rng.randint(25, 70)
    alt_frac = {"0/0": 0.0, "0/1": rng.uniform(0.35, 0.65), "1/1": 1.0}[gt]
    alt_reads = round(dp * alt_frac)
    gq = rng.randint(60, 99)
    return f"{gt}:{dp - alt_reads},{alt_reads}:{dp}:{gq}"


def _write_vcf(path: Path, variants: list[_Variant], samples: list[str], rng: random.Random) -> None:
    header = ["##fileformat=VCFv4.2", "##source=variantprio-demo", f"##reference={BUILD}",
              '##FILTER=<ID=PASS,Description="All filters passed">',
              '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
              '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths for the ref and alt alleles">',
              '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Read depth">',
              '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype quality">',
              '##INFO=<ID=DP,Number=1,Type=Integer,Description="Total depth">']
    header += [f"##contig=<ID={c},length={n},assembly={BUILD}>"
               for c, n in CONTIG_LENGTHS[BUILD].items()]
    header.append("\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT"]
                            + samples))
    order = {c: i for i, c in enumerate(CONTIG_LENGTHS[BUILD])}
    sites: dict[tuple[str, int], _Variant] = {}
    for v in variants:  # one record per site; the same allele in several families is merged
        first = sites.setdefault((v.chrom, v.pos), _Variant(v.chrom, v.pos, v.ref, v.alt, {}))
        if (first.ref, first.alt) == (v.ref, v.alt):
            first.genotypes.update(v.genotypes)
    lines = []
    for v in sorted(sites.values(), key=lambda v: (order[v.chrom], v.pos)):
        calls = [_format_sample(rng, v.genotypes.get(s, "0/0")) for s in samples]
        depth = sum(int(c.split(":")[2]) for c in calls)
        lines.append("\t".join([v.chrom, str(v.pos), ".", v.ref, v.alt, str(rng.randint(200, 3000)),
                                "PASS", f"DP={depth}", "GT:AD:DP:GQ"] + calls))
    plain = path.with_suffix("")  # x.vcf.gz -> x.vcf
    plain.write_text("\n".join(header + lines) + "\n")
    pysam.tabix_compress(str(plain), str(path), force=True)
    pysam.tabix_index(str(path), preset="vcf", force=True)
    plain.unlink()


def write_demo_data(directory: Path | str, seed: int = 7) -> DemoData:
    """Write the gene model (GTF), one trio VCF per family, the PED and a sample sheet."""
    return _write_dataset(Path(directory), DEMO_CASES, {c.family: [c] for c in DEMO_CASES}, set(), seed)


def write_batch_data(directory: Path | str, n_families: int = 20, seed: int = 11, shared: int = 4,
                     singletons: set[int] | None = None) -> DemoData:
    """A batch like a lab's: trios and singletons, the first `shared` families in one shared VCF, the
    others in a VCF each. `singletons`: the (0-based) families whose child alone was sequenced;
    default every third family after the shared VCF's."""
    cases = tuple(DemoCase(f"B{i + 1:02d}", base.gene, base.mode, base.hpo)
                  for i, base in enumerate(DEMO_CASES[i % len(DEMO_CASES)] for i in range(n_families)))
    if singletons is None:
        singletons = {i for i in range(shared, n_families) if i % 3 == 0}
    singletons = {cases[i].family for i in singletons}
    groups: dict[str, list[DemoCase]] = {"multi-family": list(cases[:shared])}
    groups.update({c.family: [c] for c in cases[shared:]})
    return _write_dataset(Path(directory), cases, groups, singletons, seed)


def _write_dataset(directory: Path, cases: tuple[DemoCase, ...], vcf_groups: dict[str, list[DemoCase]],
                   singletons: set[str], seed: int) -> DemoData:
    """Gene model, VCFs (one per group of families), PED and sample sheet for `cases`."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    transcripts = _layout_transcripts(rng)
    by_symbol = {tx.symbol: tx for tx in transcripts}

    gtf = directory / "demo-genes.gtf"
    with atomic_path(gtf) as tmp:
        tmp.write_text("##description: variantprio demo gene model (synthetic coordinates)\n"
                       + "\n".join(line for tx in transcripts for line in _gtf_lines(tx)) + "\n")

    ped = directory / "demo.ped"
    ped_rows = ["#family\tindividual\tfather\tmother\tsex\tphenotype"]
    vcfs = {}
    sheet = ["sample_id\tfamily_id\tvcf\tped\thpo\texcluded_hpo\tphenopacket"]
    for name, group in vcf_groups.items():
        variants, samples = [], []
        for case in group:
            if case.family in singletons:
                members = [case.child]
                ped_rows.append(f"{case.family}\t{case.child}\t0\t0\t{rng.choice('12')}\t2")
            else:
                members = [case.child, case.father, case.mother]
                ped_rows += [f"{case.family}\t{case.father}\t0\t0\t1\t1",
                             f"{case.family}\t{case.mother}\t0\t0\t2\t1",
                             f"{case.family}\t{case.child}\t{case.father}\t{case.mother}\t"
                             f"{rng.choice('12')}\t2"]
            # The diagnosis first, so a background variant never displaces it at the same site.
            family_variants = _planted_variants(rng, by_symbol[case.gene], case)
            family_variants += _background_variants(rng, transcripts, case)
            for v in family_variants:
                v.genotypes = {s: gt for s, gt in v.genotypes.items() if s in members}
            variants += family_variants
            samples += members
        vcf = directory / (f"{name}.trio.vcf.gz" if len(group) == 1 and samples[1:] else f"{name}.vcf.gz")
        _write_vcf(vcf, variants, samples, rng)
        for case in group:
            vcfs[case.family] = vcf
            sheet.append("\t".join([case.child, case.family, str(vcf),
                                    "" if case.family in singletons else str(ped),
                                    ",".join(case.hpo), "", ""]))
    ped.write_text("\n".join(ped_rows) + "\n")
    samples_tsv = directory / "samples.tsv"
    samples_tsv.write_text("\n".join(sheet) + "\n")
    return DemoData(directory, gtf, ped, vcfs, samples_tsv)


def run_demo(out_dir: Path, cores: int = 2) -> dict[str, tuple[str, float] | None]:
    """Generate the demo inputs (once) and run the full workflow on them; report the top genes."""
    from .sheet import load_sample_sheet
    from .workflow import RunSettings, run_locked

    out_dir = out_dir.resolve()
    data_dir = out_dir / "data"
    samples_tsv = data_dir / "samples.tsv"
    gene_model = data_dir / "demo-genes.gtf"
    if not (samples_tsv.exists() and gene_model.exists()):  # keep inputs stable across re-runs
        write_demo_data(data_dir)
    sheet = load_sample_sheet(samples_tsv)
    config = RunSettings(gene_model=str(gene_model), build=BUILD).config(out_dir / ".variantprio" / "samples.tsv")
    tops = run_locked(out_dir, sheet, config, [case.child for case in DEMO_CASES], cores=cores)
    for case in DEMO_CASES:
        top = tops.get(case.child)
        verdict = "found" if top and top[0] == case.gene else "NOT ranked first"
        print(f"{case.child}: planted {case.mode.replace('_', ' ')} gene {case.gene} {verdict}")
    return tops

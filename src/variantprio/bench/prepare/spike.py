"""Spike a case's causal variants into a real background exome so the benchmark is a realistic VCF.

Fairness rules (nothing downstream may tell a spiked record from a background one):
- a spiked record is a clone of a random background call of the same genotype (het/hom) and class
  (SNV/indel): its QUAL, FILTER, INFO and GT:AD:DP:GQ:PL values are real values from the exome;
- every ID is blanked (background rsIDs would mark the spikes by absence), and the background's
  benchmark INFO fields (`SPIKED`, `DiseaseGene`) are removed from the header;
- background calls overlapping a spiked allele are removed so no site is called twice;
- compound hets are in trans: either through synthetic parents (one carrier each) or, for a
  singleton, through phase blocks (GT `0|1` + FORMAT/PS) applied to *every* het call, as a
  read-backed phaser would, so that phasing alone does not point at the spikes.
Hemizygous males on chrX get the diploid-style `1/1` call a GATK exome has for male chrX (the
background's own chrX calls look like that); the PED carries the sex.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pysam

from ...core.genome import CONTIG_LENGTHS, in_par
from ...errors import InputError
from .phenopackets import Case, CausalVariant

log = logging.getLogger(__name__)

BUILD = "GRCh38"
CHROM_ORDER = list(CONTIG_LENGTHS[BUILD])
_CHROM_RANK = {c: i for i, c in enumerate(CHROM_ORDER)}
_DROPPED_INFO = ("SPIKED", "DiseaseGene")  # benchmark markers of the Exomiser example exome
_PS_HEADER = '##FORMAT=<ID=PS,Number=1,Type=Integer,Description="Phase set (position of the first variant in the phased block)">'
PROBAND, FATHER, MOTHER = "proband", "father", "mother"


@dataclass(frozen=True)
class SpikeOptions:
    """How a case is turned into a VCF (and PED)."""

    with_parents: bool = False
    phase_singletons: bool = True  # singleton: phase blocks on every het call (trans compound hets)
    phase_block_gap: int = 100_000  # a gap this wide between het calls starts a new phase block
    background_de_novo: float = 2.0  # mean spurious de novo calls in a synthetic trio's background
    seed: int = 1


class Background:
    """A single-sample background exome held as columns, IDs blanked and markers removed."""

    def __init__(self, meta_lines: list[str], table: pd.DataFrame, path: Path, build: str = BUILD) -> None:
        self.meta_lines = meta_lines
        self.table = table
        self.path = path
        self.build = build
        fmt = table["sample"]
        self.het_rows = np.flatnonzero(table["gt"].to_numpy() == 1)
        self.hom_rows = np.flatnonzero(table["gt"].to_numpy() == 2)
        self.dp = pd.to_numeric(fmt.str.split(":").str[2], errors="coerce").dropna().astype(int).to_numpy()

    @classmethod
    def load(cls, path: Path | str) -> "Background":
        """Read the background VCF (bgzipped or plain); the first sample is the one used."""
        path = Path(path)
        if not path.exists():
            raise InputError("background VCF not found", path=str(path),
                             hint="pass --background or provide ../shared/bench/background/")
        try:
            with pysam.VariantFile(str(path)) as vf:
                if not list(vf.header.samples):
                    raise InputError("background VCF has no sample column", path=str(path),
                                     hint="use a single-sample exome VCF with GT:AD:DP:GQ:PL")
                meta = [line for line in str(vf.header).splitlines() if line.startswith("##")]
                lines = [str(rec).rstrip("\n") for rec in vf]
        except (OSError, ValueError) as err:
            raise InputError(f"cannot read background VCF ({err})", path=str(path),
                             hint="check it is a valid (bgzipped) VCF") from None
        return cls(_clean_meta(meta), _columns(lines, path), path)

    def subset(self, rows: np.ndarray) -> pd.DataFrame:
        return self.table.iloc[rows].reset_index(drop=True)

    def lifted(self, lifter) -> tuple["Background", dict[str, int]]:
        """The same exome on the chain's target build (ingest.liftover rules: calls that do not
        lift safely are left out), with that build's contig lines; and the counts per reason."""
        from ...ingest.liftover import lift_alleles

        t = self.table
        result = lift_alleles(t["chrom"].to_numpy(), t["pos"].to_numpy(), t["ref"].to_numpy(), t["alt"].to_numpy(),
                              lifter)
        kept = t[result.keep].copy()
        for column in ("chrom", "pos", "ref", "alt"):
            kept[column] = getattr(result, column)[result.keep]
        kept["pos"] = kept["pos"].astype(np.int64)
        rank = kept["chrom"].map(_CHROM_RANK).fillna(len(_CHROM_RANK)).astype(int)
        kept = kept.iloc[np.lexsort((kept["pos"].to_numpy(), rank.to_numpy()))].reset_index(drop=True)
        kept["is_snv"] = (kept["ref"].str.len() == 1) & (kept["alt"].str.len() == 1)
        counts = {"rows_in": len(t), "lifted": len(kept)}
        counts.update(pd.Series(result.reason[~result.keep]).value_counts().to_dict())
        build = lifter.target_build or "GRCh37"
        return Background(_clean_meta(self.meta_lines, build), kept, self.path, build), counts

    def liftable_only(self, lifter) -> "Background":
        """This exome on its own build, keeping only the calls `lifted` keeps: the GRCh38 side of a
        GRCh37 comparison sees the same background calls, so the chain's coverage is no difference."""
        from ...ingest.liftover import lift_alleles

        t = self.table
        keep = lift_alleles(t["chrom"].to_numpy(), t["pos"].to_numpy(), t["ref"].to_numpy(), t["alt"].to_numpy(),
                            lifter).keep
        return Background(self.meta_lines, t[keep].reset_index(drop=True), self.path, self.build)


def _clean_meta(meta: list[str], build: str = BUILD) -> list[str]:
    """Header without the benchmark INFO markers and with `build`'s contig lines (lengths included)."""
    keep = [line for line in meta
            if not line.startswith("##contig=") and not line.startswith(("##reference=", "##assembly="))
            and not any(line.startswith(f"##INFO=<ID={tag},") for tag in _DROPPED_INFO)]
    keep += [f"##contig=<ID={c},length={n}>" for c, n in CONTIG_LENGTHS[build].items()]
    return keep


def _columns(lines: list[str], path: Path) -> pd.DataFrame:
    """VCF body lines as columns; genotype class 1 (het) or 2 (hom-alt) of the first sample."""
    if not lines:
        raise InputError("background VCF has no records", path=str(path), hint="use a real exome VCF")
    parts = pd.Series(lines).str.split("\t", n=9, expand=True)
    table = pd.DataFrame({
        "chrom": parts[0], "pos": parts[1].astype(np.int64), "ref": parts[3], "alt": parts[4],
        "qual": parts[5], "filter": parts[6], "info": _drop_info_tags(parts[7]),
        "sample": parts[9].str.split("\t").str[0]})
    gt = table["sample"].str.split(":").str[0].str.replace("|", "/", regex=False)
    table["gt"] = np.select([gt.isin(["0/1", "1/0"]), gt.isin(["1/1", "1"])], [1, 2], 0).astype(np.int8)
    table["is_snv"] = (table["ref"].str.len() == 1) & (table["alt"].str.len() == 1)
    unusable = (table["gt"] == 0) | table["alt"].str.contains(",", regex=False)
    if unusable.any():
        log.info("background: %d records that are not a biallelic het/hom-alt call skipped", unusable.sum())
        table = table[~unusable].reset_index(drop=True)
    return table


def _drop_info_tags(info: pd.Series) -> pd.Series:
    pattern = r"(?:^|;)(?:" + "|".join(_DROPPED_INFO) + r")(?:=[^;]*)?(?=;|$)"
    cleaned = info.str.replace(pattern, "", regex=True).str.lstrip(";")
    return cleaned.mask(cleaned == "", ".")


def lift_case(case: Case, lifter) -> Case | str:
    """The case with its causal variants on the chain's target build, or why it cannot be: a case
    whose variant does not lift safely is not spiked (it stays in the benchmark as a miss)."""
    from dataclasses import replace

    from ...ingest.liftover import lift_alleles

    v = case.variants
    result = lift_alleles([x.chrom for x in v], [x.pos for x in v], [x.ref for x in v], [x.alt for x in v], lifter)
    if not result.keep.all():
        return "; ".join(f"{x.key}: {r}" for x, r in zip(v, result.reason) if r)
    lifted = tuple(replace(x, chrom=str(c), pos=int(p), ref=str(r), alt=str(a))
                   for x, c, p, r, a in zip(v, result.chrom, result.pos, result.ref, result.alt))
    return replace(case, variants=lifted)


def case_rng(case_id: str, seed: int) -> np.random.Generator:
    """Per-case random stream: the same case spikes identically whichever worker runs it."""
    return np.random.default_rng([seed, zlib.crc32(case_id.encode())])


@dataclass(frozen=True)
class SpikedCase:
    """The files written for one case and what was spiked (for evaluation only)."""

    vcf: Path
    ped: Path
    proband: str
    samples: tuple[str, ...]
    spiked: tuple[CausalVariant, ...]
    removed_background: int


def spike_case(case: Case, background: Background, out_dir: Path | str,
               options: SpikeOptions = SpikeOptions()) -> SpikedCase:
    """Write OUT/case.vcf.gz (+ .tbi) and OUT/case.ped with the case's causal variants spiked in."""
    if not case.spikeable:
        raise InputError("case has causal variants without a vcfRecord", where=case.case_id,
                         hint="such cases are counted, not spiked")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = case_rng(case.case_id, options.seed)
    sex = case.effective_sex
    keep, removed = _background_rows(background, case, sex)
    body = background.subset(np.flatnonzero(keep))
    body["spike"] = -1
    body = _sorted(pd.concat([body, _spiked_rows(case, background, rng)], ignore_index=True))
    if options.with_parents:
        samples = (PROBAND, FATHER, MOTHER)
        columns, counts = _trio_columns(body, case, background, sex, rng, options.background_de_novo)
        body = _with_trio_info(body, counts)
        phased = False
    else:
        samples = (PROBAND,)
        phased = options.phase_singletons
        columns = [_phased(body, rng, options.phase_block_gap) if phased else body["sample"]]
    vcf = _write_vcf(out_dir / "case.vcf", background.meta_lines, body, columns, samples, phased)
    ped = _write_ped(out_dir / "case.ped", case, sex, samples)
    log.debug("%s: spiked %d variant(s) (%s), %d overlapping background calls removed",
              case.case_id, len(case.variants), case.genotype, removed)
    return SpikedCase(vcf, ped, PROBAND, samples, case.variants, removed)


def _background_rows(background: Background, case: Case, sex: str) -> tuple[np.ndarray, int]:
    """Mask of background calls kept (not overlapping a spiked allele, no chrY in a female) and
    the number dropped for overlapping."""
    table = background.table
    chrom, pos = table["chrom"].to_numpy(), table["pos"].to_numpy()
    end = pos + table["ref"].str.len().to_numpy() - 1
    keep = np.ones(len(table), dtype=bool)
    for v in case.variants:
        keep &= ~((chrom == v.chrom) & (pos <= v.pos + len(v.ref) - 1) & (end >= v.pos))
    removed = int((~keep).sum())
    if sex == "FEMALE":
        keep &= chrom != "chrY"
    return keep, removed


def _spiked_rows(case: Case, background: Background, rng: np.random.Generator) -> pd.DataFrame:
    """One cloned background record per causal allele, moved to the causal site."""
    rows = []
    for i, v in enumerate(case.variants):
        hom = v.allelic_state in ("homozygous", "hemizygous")
        donor = background.table.iloc[_donor_row(background, v, hom, rng)].copy()
        donor["chrom"], donor["pos"], donor["ref"], donor["alt"] = v.chrom, v.pos, v.ref, v.alt
        donor["is_snv"] = len(v.ref) == 1 and len(v.alt) == 1
        donor["spike"] = i
        rows.append(donor)
    return pd.DataFrame(rows)


def _donor_row(background: Background, v: CausalVariant, hom: bool, rng: np.random.Generator) -> int:
    """A random background call of the same genotype and class (chrX calls for chrX spikes)."""
    table = background.table
    rows = background.hom_rows if hom else background.het_rows
    snv = len(v.ref) == 1 and len(v.alt) == 1
    same_class = rows[table["is_snv"].to_numpy()[rows] == snv]
    rows = same_class if same_class.size else rows
    if v.chrom == "chrX":
        on_x = rows[table["chrom"].to_numpy()[rows] == "chrX"]
        rows = on_x if on_x.size else rows
    return int(rng.choice(rows))


def _sorted(body: pd.DataFrame) -> pd.DataFrame:
    body["pos"] = body["pos"].astype(np.int64)
    body["gt"] = body["gt"].astype(np.int8)
    body["spike"] = body["spike"].astype(int)
    rank = body["chrom"].map(_CHROM_RANK).fillna(len(_CHROM_RANK)).astype(int)
    order = np.lexsort((body["alt"].to_numpy(), body["ref"].to_numpy(), body["pos"].to_numpy(), rank.to_numpy()))
    return body.iloc[order].reset_index(drop=True)


def _set_gt(sample: pd.Series, gt: pd.Series | np.ndarray) -> pd.Series:
    """Replace the GT field (first FORMAT value) of each sample string."""
    return pd.Series(gt, index=sample.index).astype(str) + ":" + sample.str.split(":", n=1).str[1]


def _phased(body: pd.DataFrame, rng: np.random.Generator, gap: int) -> pd.Series:
    """Singleton sample column with FORMAT/PS: het calls phased in blocks, compound-het spikes in trans.

    Blocks break at a new contig or a gap > `gap` between het calls (as read-backed or long-read
    phasing would); each het call gets a random orientation within its block.
    """
    het = (body["gt"].to_numpy() == 1)
    idx = np.flatnonzero(het)
    chrom = body["chrom"].to_numpy()[idx]
    pos = body["pos"].to_numpy()[idx]
    new_block = np.ones(idx.size, dtype=bool)
    new_block[1:] = (chrom[1:] != chrom[:-1]) | (np.diff(pos) > gap)
    block_start = pos[np.flatnonzero(new_block)[np.cumsum(new_block) - 1]]
    flip = rng.random(idx.size) < 0.5
    ps = np.full(len(body), ".", dtype=object)
    ps[idx] = block_start.astype(str)
    gt = np.full(len(body), "1/1", dtype=object)
    gt[idx] = np.where(flip, "1|0", "0|1")
    spikes = np.flatnonzero((body["spike"].to_numpy() >= 0) & het)
    if spikes.size == 2:  # compound het: same phase set, opposite haplotypes
        ps[spikes[1]] = ps[spikes[0]]
        gt[spikes[1]] = "1|0" if gt[spikes[0]] == "0|1" else "0|1"
    return _set_gt(body["sample"], gt) + ":" + pd.Series(ps, index=body.index)


def _hom_ref_calls(background: Background, n: int, rng: np.random.Generator) -> np.ndarray:
    """GATK-like 0/0 calls with depths drawn from the background (GQ/PL grow with depth)."""
    dp = pd.Series(rng.choice(background.dp, size=n) if n else np.zeros(0, dtype=int))
    text = dp.astype(str)
    calls = ("0/0:" + text + ",0:" + text + ":" + np.minimum(99, 3 * dp).astype(str)
             + ":0," + (3 * dp).astype(str) + "," + (36 * dp).astype(str))
    return calls.to_numpy(dtype=object)


def _parent_alt_counts(body: pd.DataFrame, sex: str, rng: np.random.Generator,
                       de_novo_rate: float, build: str = BUILD) -> tuple[np.ndarray, np.ndarray]:
    """ALT copies (0/1/2) for father and mother at background calls, Mendelian-consistent.

    A proband het call comes from one random parent (the other is usually hom-ref); a hom call
    from both; a male's chrX outside the PARs from the mother; chrY from the father. A few
    random het SNVs become apparent de novo calls, as any real trio has.
    """
    n = len(body)
    g = body["gt"].to_numpy()
    chrom = body["chrom"].to_numpy()
    male_x = (chrom == "chrX") & ~in_par(chrom, body["pos"].to_numpy(), build) & (sex != "FEMALE")
    from_father = rng.random(n) < 0.5
    carrier = np.where(rng.random(n) < 0.9, 1, 2)
    other = np.where(rng.random(n) < 0.75, 0, 1)
    father = np.where(g == 2, np.where(rng.random(n) < 0.7, 1, 2), np.where(from_father, carrier, other))
    mother = np.where(g == 2, np.where(rng.random(n) < 0.7, 1, 2), np.where(from_father, other, carrier))
    # male proband's X: mother transmits; father's own X is unrelated (shown hemizygous as 1/1)
    mother = np.where(male_x & (g == 2), np.where(rng.random(n) < 0.7, 1, 2), mother)
    mother = np.where(male_x & (g == 1), carrier, mother)
    father = np.where(male_x, np.where(rng.random(n) < 0.8, 0, 2), father)
    father = np.where((chrom == "chrX") & (sex == "FEMALE") & (father == 1), 2, father)
    father = np.where(chrom == "chrY", g, father)
    mother = np.where(chrom == "chrY", -1, mother)
    autosomal_het = np.flatnonzero((g == 1) & body["is_snv"].to_numpy() & ~np.isin(chrom, ["chrX", "chrY", "chrM"])
                                   & (body["spike"].to_numpy() < 0))
    k = min(rng.poisson(de_novo_rate), autosomal_het.size)
    if k:
        noise = rng.choice(autosomal_het, size=k, replace=False)
        father[noise] = 0
        mother[noise] = 0
    return father.astype(np.int8), mother.astype(np.int8)


def _spike_parent_counts(case: Case, spike: int, sex: str) -> tuple[int, int]:
    """(father, mother) ALT copies at a spiked allele, consistent with the case's mode."""
    mode, genotype = case.mode, case.genotype
    if mode == "MT":
        return 0, 1
    if genotype == "comphet":  # in trans: one allele from each parent
        return (1, 0) if spike == 0 else (0, 1)
    if genotype in ("hom", "hemi"):
        if case.variants[spike].chrom == "chrX":
            return (2, 1) if sex == "FEMALE" else (0, 1)
        return 1, 1
    return 0, 0  # dominant: de novo


def _trio_columns(body: pd.DataFrame, case: Case, background: Background, sex: str,
                  rng: np.random.Generator, de_novo_rate: float) -> tuple[list[pd.Series], np.ndarray]:
    """Sample columns proband, father, mother and the ALT copies (-1: no call) per sample."""
    father, mother = _parent_alt_counts(body, sex, rng, de_novo_rate, background.build)
    for row in np.flatnonzero(body["spike"].to_numpy() >= 0):
        father[row], mother[row] = _spike_parent_counts(case, int(body["spike"].iat[row]), sex)
    columns = [body["sample"], _parent_column(father, background, rng, body.index),
               _parent_column(mother, background, rng, body.index)]
    return columns, np.stack([body["gt"].to_numpy(np.int8), father, mother])


def _parent_column(counts: np.ndarray, background: Background, rng: np.random.Generator,
                   index: pd.Index) -> pd.Series:
    """Sample strings for one parent: het/hom values from random background calls, synthetic 0/0."""
    out = np.full(counts.size, "./.:.:.:.:.", dtype=object)
    fmt = background.table["sample"].to_numpy()
    for count, pool in ((1, background.het_rows), (2, background.hom_rows)):
        rows = np.flatnonzero(counts == count)
        out[rows] = fmt[rng.choice(pool, size=rows.size)] if rows.size else out[rows]
    rows = np.flatnonzero(counts == 0)
    out[rows] = _hom_ref_calls(background, rows.size, rng)
    return pd.Series(out, index=index)


def _with_trio_info(body: pd.DataFrame, counts: np.ndarray) -> pd.DataFrame:
    """Recompute INFO AC/AF/AN over the three samples, as joint calling would."""
    called = counts >= 0
    ac = np.where(called, counts, 0).sum(axis=0)
    an = 2 * called.sum(axis=0)
    af = np.round(np.divide(ac, an, out=np.zeros(len(body)), where=an > 0), 3)
    stripped = body["info"].str.replace(r"(?:^|;)(?:AC|AF|AN)=[^;]*", "", regex=True).str.lstrip(";")
    prefix = ("AC=" + pd.Series(ac, index=body.index).astype(str)
              + ";AF=" + pd.Series(af, index=body.index).map("{:g}".format)
              + ";AN=" + pd.Series(an, index=body.index).astype(str))
    body = body.copy()
    body["info"] = prefix.where(stripped.isin(["", "."]), prefix + ";" + stripped)
    return body


def _write_vcf(path: Path, meta: list[str], body: pd.DataFrame, columns: list[pd.Series],
               samples: tuple[str, ...], phased: bool) -> Path:
    """Sorted VCF, bgzipped and tabix-indexed (path.gz + path.gz.tbi); IDs blanked."""
    fmt = "GT:AD:DP:GQ:PL:PS" if phased else "GT:AD:DP:GQ:PL"
    header = list(meta) + ([_PS_HEADER] if phased else [])
    header.append("\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT",
                             *samples]))
    line = (body["chrom"] + "\t" + body["pos"].astype(str) + "\t.\t" + body["ref"] + "\t" + body["alt"]
            + "\t" + body["qual"] + "\t" + body["filter"] + "\t" + body["info"] + "\t" + fmt)
    for column in columns:
        line = line + "\t" + column.reset_index(drop=True)
    path.write_text("\n".join(header) + "\n" + "\n".join(line) + "\n")
    return _bgzip_and_index(path)


def _bgzip_and_index(path: Path) -> Path:
    """path -> path.gz + .tbi; htslib's bgzip at level 1 is 3x faster than pysam's default level."""
    gz = Path(f"{path}.gz")
    if shutil.which("bgzip") and shutil.which("tabix"):
        subprocess.run(["bgzip", "-f", "-l", "1", str(path)], check=True, capture_output=True)
        subprocess.run(["tabix", "-f", "-p", "vcf", str(gz)], check=True, capture_output=True)
        return gz
    return Path(pysam.tabix_index(str(path), preset="vcf", force=True))


def _write_ped(path: Path, case: Case, sex: str, samples: tuple[str, ...]) -> Path:
    """PED: affected proband (sex from the phenopacket), unaffected synthetic parents."""
    code = {"MALE": "1", "FEMALE": "2"}.get(sex, "0")
    family = "FAM_" + "".join(ch if ch.isalnum() else "_" for ch in case.case_id)
    if len(samples) == 1:
        rows = [[family, PROBAND, "0", "0", code, "2"]]
    else:
        # a homozygous X-linked recessive daughter has a hemizygous, hence affected, father
        father_status = "2" if case.mode == "XR" and sex == "FEMALE" else "1"
        rows = [[family, FATHER, "0", "0", "1", father_status], [family, MOTHER, "0", "0", "2", "1"],
                [family, PROBAND, FATHER, MOTHER, code, "2"]]
    path.write_text("".join("\t".join(r) + "\n" for r in rows))
    return path

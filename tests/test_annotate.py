"""ANNOTATE stage: gene-model consequences at their boundaries on both strands, VCF annotations
(CSQ/ANN/BCSQ), the gene-model cache and CLI failures."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from conftest import GT_HEADER, shared_data, write_vcf
from variantprio.annotate import AnnotateInputs, AnnotateOptions, AnnotateOutputs, load_gene_model
from variantprio.annotate import run as annotate_run
from variantprio.cli import main
from variantprio.ingest import IngestInputs, IngestOptions, IngestOutputs
from variantprio.ingest import run as ingest_run
from variantprio.tables import read_table

# GP (+): exons 1000-1100, 1200-1300, 1400-1500; CDS 1050..1447 + stop codon 1448-1450 (MANE),
#   plus a non-coding, non-MANE transcript of the same gene.
# GM (-): exons 3000-3100, 3200-3300, 3400-3500; CDS 3053..3450, stop codon 3050-3052.
# OV (+): non-coding exon 1455-1470 inside GP's last exon.
_A = 'gene_id "{g}"; transcript_id "{t}"; gene_name "{n}"; gene_type "protein_coding";{tag}'
_MANE = ' tag "basic"; tag "MANE_Select";'


def _gtf_line(chrom, feature, start, end, strand, g, t, n, tag=_MANE):
    return "\t".join([chrom, "TEST", feature, str(start), str(end), ".", strand, ".",
                      _A.format(g=g, t=t, n=n, tag=tag)])


def gtf_lines() -> list[str]:
    rows = ["##description: test model (GRCh38)", "#!genome-build GRCh38"]
    gp = dict(g="ENSG1", t="ENST1", n="GP")
    rows.append(_gtf_line("chr1", "transcript", 1000, 1500, "+", **gp))
    for s, e in [(1000, 1100), (1200, 1300), (1400, 1500)]:
        rows.append(_gtf_line("chr1", "exon", s, e, "+", **gp))
    for s, e in [(1050, 1100), (1200, 1300), (1400, 1447)]:
        rows.append(_gtf_line("chr1", "CDS", s, e, "+", **gp))
    rows.append(_gtf_line("chr1", "stop_codon", 1448, 1450, "+", **gp))
    for s, e in [(1000, 1100), (1400, 1500)]:
        rows.append(_gtf_line("chr1", "exon", s, e, "+", g="ENSG1", t="ENST1b", n="GP", tag=""))
    gm = dict(g="ENSG2", t="ENST2", n="GM")
    for s, e in [(3000, 3100), (3200, 3300), (3400, 3500)]:
        rows.append(_gtf_line("chr1", "exon", s, e, "-", **gm))
    for s, e in [(3053, 3100), (3200, 3300), (3400, 3450)]:
        rows.append(_gtf_line("chr1", "CDS", s, e, "-", **gm))
    rows.append(_gtf_line("chr1", "stop_codon", 3050, 3052, "-", **gm))
    rows.append(_gtf_line("chr1", "exon", 1455, 1470, "+", g="ENSG3", t="ENST3", n="OV", tag=""))
    return rows


ANNOTATE_META = (GT_HEADER + '##ALT=<ID=DEL,Description="Deletion">\n'
                 '##INFO=<ID=END,Number=1,Type=Integer,Description="End">\n'
                 '##INFO=<ID=SVTYPE,Number=1,Type=String,Description="SV type">\n')


@pytest.fixture(scope="module")
def gtf(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("model") / "test.gencode44.gtf"
    path.write_text("\n".join(gtf_lines()) + "\n")
    return path


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def ingest(tmp_path: Path, records: list[str], extra_header: str = "", gt: str = "0/1") -> Path:
    """Real ingest of a tiny VCF (records as whitespace-separated CHROM..INFO)."""
    records = sorted(records, key=lambda r: (r.split()[0], int(r.split()[1])))
    vcf = write_vcf(tmp_path / "in.vcf", [r.split() + ["GT", gt] for r in records], samples=("S1",),
                    contigs=("chr1", "chr2"), meta=ANNOTATE_META, extra_header=extra_header)
    out = tmp_path / "variants.parquet"
    ingest_run(IngestInputs(str(vcf)), IngestOutputs(str(out)), IngestOptions(build="GRCh38"))
    return out


def annotate_records(tmp_path: Path, gtf: Path, records: list[str], **kw):
    variants = ingest(tmp_path, records, kw.pop("extra_header", ""), kw.pop("gt", "0/1"))
    out = tmp_path / "annotations.parquet"
    files = {name: kw.pop(name) for name in ("fasta", "sources") if name in kw}
    annotate_run(AnnotateInputs(variants, gene_model=str(gtf) if gtf else None, **files), AnnotateOutputs(out),
                 AnnotateOptions(**kw))
    table, prov = read_table(out, "annotations")
    return table.to_pandas(), prov


def snv(pos: int, ref: str = "A", alt: str = "G", chrom: str = "chr1") -> str:
    return f"{chrom} {pos} . {ref} {alt} 50 PASS ."


# (position, gene, expected consequence)
SNV_CASES = [
    # + strand GP: donor after exon 1 (ends 1100), acceptor before exon 2 (starts 1200)
    (1101, "GP", "splice_donor_variant"), (1102, "GP", "splice_donor_variant"),
    (1103, "GP", "splice_region_variant"), (1108, "GP", "splice_region_variant"),
    (1109, "GP", "intron_variant"), (1191, "GP", "intron_variant"),
    (1192, "GP", "splice_region_variant"), (1197, "GP", "splice_region_variant"),
    (1198, "GP", "splice_acceptor_variant"), (1199, "GP", "splice_acceptor_variant"),
    (1200, "GP", "splice_region_variant"), (1202, "GP", "splice_region_variant"),
    (1203, "GP", "coding_sequence_variant"), (1097, "GP", "coding_sequence_variant"),
    (1098, "GP", "splice_region_variant"), (1049, "GP", "5_prime_UTR_variant"),
    (1050, "GP", "coding_sequence_variant"), (1450, "GP", "coding_sequence_variant"),
    (1451, "GP", "3_prime_UTR_variant"), (1000, "GP", "5_prime_UTR_variant"),
    (995, "GP", "upstream_gene_variant"), (1600, "GP", "downstream_gene_variant"),
    (8500, "GM", "upstream_gene_variant"), (8501, None, "intergenic_variant"),
    # - strand GM: transcript runs 3500 -> 3000; exon 1 is 3400-3500
    (3399, "GM", "splice_donor_variant"), (3398, "GM", "splice_donor_variant"),
    (3397, "GM", "splice_region_variant"), (3392, "GM", "splice_region_variant"),
    (3391, "GM", "intron_variant"), (3301, "GM", "splice_acceptor_variant"),
    (3302, "GM", "splice_acceptor_variant"), (3303, "GM", "splice_region_variant"),
    (3300, "GM", "splice_region_variant"), (3298, "GM", "splice_region_variant"),
    (3297, "GM", "coding_sequence_variant"), (3451, "GM", "5_prime_UTR_variant"),
    (3450, "GM", "coding_sequence_variant"), (3050, "GM", "coding_sequence_variant"),
    (3049, "GM", "3_prime_UTR_variant"), (3600, "GM", "upstream_gene_variant"),
    (2900, "GM", "downstream_gene_variant"),
    (12000, None, "intergenic_variant"),
]


def test_snv_consequences_at_boundaries(tmp_path, gtf):
    df, prov = annotate_records(tmp_path, gtf, [snv(p) for p, _, _ in SNV_CASES] + [snv(500, chrom="chr2")])
    for pos, gene, expected in SNV_CASES:
        rows = df[df.pos == pos]
        assert len(rows) == 1, (pos, rows)
        row = rows.iloc[0]
        assert row.consequence == expected, (pos, row.consequence, expected)
        assert (row.gene_symbol if gene else None) == gene, pos
    other = df[df.chrom == "chr2"]
    assert other.consequence.tolist() == ["intergenic_variant"] and other.gene_symbol.isna().all()
    assert prov.sources["gene_model"] == "test.gencode44.gtf gencode44"
    assert prov.extra["gene_model_version"] == "gencode44"


def test_impact_exon_intron_numbers_and_mane(tmp_path, gtf):
    df, _ = annotate_records(tmp_path, gtf, [snv(1250), snv(1150), snv(3450), snv(3350), snv(1101), snv(1460)])
    by = {(r.pos, r.gene_symbol): r for r in df.itertuples()}
    assert by[(1250, "GP")].exon == "2/3" and by[(1250, "GP")].intron is None or pd.isna(by[(1250, "GP")].intron)
    assert by[(1150, "GP")].intron == "1/2"
    assert by[(3450, "GM")].exon == "1/3" and by[(3350, "GM")].intron == "1/2"
    assert by[(1101, "GP")].impact == "HIGH" and by[(1250, "GP")].impact == "MODIFIER"
    assert by[(1250, "GP")].transcript_id == "ENST1" and by[(1250, "GP")].is_mane
    # 1460 lies in GP's 3' UTR (both GP transcripts: the MANE one wins the tie) and in OV
    assert by[(1460, "GP")].consequence == "3_prime_UTR_variant"
    assert by[(1460, "OV")].consequence == "non_coding_transcript_exon_variant"
    assert by[(1460, "OV")].is_mane is False or not by[(1460, "OV")].is_mane


@pytest.mark.parametrize("ref,alt,expected", [
    ("CA", "C", "frameshift_variant"), ("CAAA", "C", "inframe_deletion"),
    ("C", "CA", "frameshift_variant"), ("C", "CAAA", "inframe_insertion"),
    ("CA", "GT", "coding_sequence_variant"),
])
def test_coding_indels(tmp_path, gtf, ref, alt, expected):
    df, _ = annotate_records(tmp_path, gtf, [f"chr1 1250 . {ref} {alt} 50 PASS ."])
    assert df.consequence.tolist() == [expected]


def test_deletion_across_splice_site_and_minus_strand_indel(tmp_path, gtf):
    # 1099-1104 deleted: last exon bases + donor site of GP intron 1
    df, _ = annotate_records(tmp_path, gtf, ["chr1 1098 . AGGTAAG A 50 PASS .",
                                             "chr1 3250 . CAA C 50 PASS .", "chr1 1150 . CA C 50 PASS ."])
    assert df.set_index("pos").consequence.to_dict() == {
        1098: "splice_donor_variant", 3250: "frameshift_variant", 1150: "intron_variant"}


def test_sv_deletion_covering_transcript_is_ablation(tmp_path, gtf):
    df, _ = annotate_records(tmp_path, gtf, ["chr1 900 . N <DEL> 50 PASS SVTYPE=DEL;END=1600",
                                             "chr1 1150 . N <DEL> 50 PASS SVTYPE=DEL;END=1250"])
    gp = df[df.gene_symbol == "GP"].set_index("pos").consequence.to_dict()
    assert gp == {900: "transcript_ablation", 1150: "feature_truncation"}
    assert df[(df.pos == 900) & (df.gene_symbol == "OV")].consequence.tolist() == ["transcript_ablation"]


CSQ_HEADER = ('##INFO=<ID=CSQ,Number=.,Type=String,Description="Consequence annotations from Ensembl VEP. '
              'Format: Allele|Consequence|IMPACT|SYMBOL|Gene|Feature_type|Feature|BIOTYPE|EXON|INTRON|HGVSc|'
              'HGVSp|CANONICAL|MANE_SELECT">\n')


def test_vep_csq_worst_per_gene_mane_on_ties(tmp_path, gtf):
    csq = ",".join([
        "G|missense_variant|MODERATE|GENE1|ENSG10|Transcript|ENST10|protein_coding|3/10||ENST10.1:c.100A>G|"
        "ENSP10.1:p.Lys34Arg|YES|NM_000001.1",
        "G|missense_variant|MODERATE|GENE1|ENSG10|Transcript|ENST11|protein_coding|3/9||ENST11.1:c.90A>G|"
        "ENSP11.1:p.Lys30Arg||",
        "G|intron_variant&NMD_transcript_variant|MODIFIER|GENE2|ENSG20|Transcript|ENST20|protein_coding||2/5|||YES|",
        "G|synonymous_variant|LOW|GENE2|ENSG20|Transcript|ENST21|protein_coding|4/6||ENST21:c.30A>G|"
        "ENSP21:p.Lys10%3D||",
        "G|regulatory_region_variant|MODIFIER|||RegulatoryFeature|ENSR1|||||||",
    ])
    rec = f"chr1 50000 . A G 50 PASS CSQ={csq}"
    stop = "chr1 50010 . C T 50 PASS CSQ=T|stop_gained&splice_region_variant|HIGH|GENE1|ENSG10|Transcript|ENST11|" \
           "protein_coding|3/9||c.1C>T|p.Gln1Ter||,T|missense_variant|MODERATE|GENE1|ENSG10|Transcript|ENST10|" \
           "protein_coding|3/10||c.2C>T|p.Pro1Leu|YES|NM_1"
    df, _ = annotate_records(tmp_path, gtf, [rec, stop], extra_header=CSQ_HEADER)
    first = df[df.pos == 50000].set_index("gene_symbol")
    assert set(first.index) == {"GENE1", "GENE2"}
    assert first.loc["GENE1", "transcript_id"] == "ENST10" and first.loc["GENE1", "is_mane"]
    assert first.loc["GENE1", "hgvs_p"] == "ENSP10.1:p.Lys34Arg" and first.loc["GENE1", "exon"] == "3/10"
    assert first.loc["GENE2", "consequence"] == "synonymous_variant"
    assert first.loc["GENE2", "hgvs_p"] == "ENSP21:p.Lys10="
    second = df[df.pos == 50010].iloc[0]
    assert (second.consequence, second.impact, second.transcript_id) == ("stop_gained", "HIGH", "ENST11")


def test_vep_csq_multiallelic_split_per_allele(tmp_path, gtf):
    csq = ("G|missense_variant|MODERATE|GENE1|ENSG10|Transcript|ENST10|protein_coding|||||YES|,"
           "T|stop_gained|HIGH|GENE1|ENSG10|Transcript|ENST10|protein_coding|||||YES|")
    df, _ = annotate_records(tmp_path, None, [f"chr1 50000 . A G,T 50 PASS CSQ={csq}"], extra_header=CSQ_HEADER,
                             gt="1/2")
    assert df.set_index("alt").consequence.to_dict() == {"G": "missense_variant", "T": "stop_gained"}


ANN_HEADER = ('##INFO=<ID=ANN,Number=.,Type=String,Description="Functional annotations: \'Allele | Annotation | '
              'Annotation_Impact | Gene_Name | Gene_ID | Feature_Type | Feature_ID | Transcript_BioType | Rank | '
              'HGVS.c | HGVS.p | cDNA.pos / cDNA.length | CDS.pos / CDS.length | AA.pos / AA.length | Distance | '
              'ERRORS / WARNINGS / INFO\' ">\n')
BCSQ_HEADER = ('##INFO=<ID=BCSQ,Number=.,Type=String,Description="Local consequence annotation from BCFtools/csq, '
               'see http://samtools.github.io/bcftools/howtos/csq-calling.html for details. '
               'Format: Consequence|gene|transcript|biotype|strand|amino_acid_change|dna_change">\n')


def test_snpeff_ann_and_bcftools_bcsq(tmp_path, gtf):
    ann = ("G|splice_region_variant&intron_variant|LOW|GENE5|ENSG5|transcript|ENST5|protein_coding|4/11|"
           "c.400+5A>G||||||,G|upstream_gene_variant|MODIFIER|GENE6|ENSG6|transcript|ENST6|protein_coding||"
           "c.-900A>G|||||900|")
    bcsq = "*missense&inframe_altering|GENE7|ENST7|protein_coding|+|5A>5V|100C>T"
    df, _ = annotate_records(tmp_path, gtf, [f"chr1 60000 . A G 50 PASS ANN={ann}",
                                             f"chr1 60010 . C T 50 PASS BCSQ={bcsq}",
                                             "chr1 60020 . C T 50 PASS BCSQ=@60010"],
                             extra_header=ANN_HEADER + BCSQ_HEADER)
    ann_rows = df[df.pos == 60000].set_index("gene_symbol")
    assert ann_rows.loc["GENE5", "consequence"] == "splice_region_variant"
    assert ann_rows.loc["GENE5", "exon"] == "4/11" and ann_rows.loc["GENE5", "hgvs_c"] == "c.400+5A>G"
    assert ann_rows.loc["GENE6", "consequence"] == "upstream_gene_variant"
    b = df[df.pos == 60010].iloc[0]
    assert (b.gene_symbol, b.consequence, b.impact, b.hgvs_p) == ("GENE7", "missense_variant", "MODERATE", "5A>5V")


def test_gene_model_cache_is_reused_and_invalidated(tmp_path, gtf, monkeypatch, caplog):
    from variantprio.annotate import genemodel

    builds = []
    build = genemodel.build_gene_model
    monkeypatch.setattr(genemodel, "build_gene_model", lambda path: builds.append(path) or build(path))
    src = tmp_path / "copy.gtf"
    src.write_text(gtf.read_text())
    cache = tmp_path / "c"
    first = load_gene_model(src, cache_dir=cache)
    files = list(cache.glob("*.parquet"))
    assert len(files) == 1 and len(builds) == 1
    stamp = files[0].stat().st_mtime_ns
    with caplog.at_level("INFO", logger=genemodel.log.name):
        again = load_gene_model(src, cache_dir=cache)
    assert len(builds) == 1, "the second load parsed the GTF again instead of reading the cache"
    assert f"from cache {files[0]}" in caplog.text
    assert files[0].stat().st_mtime_ns == stamp and again.table.equals(first.table)
    src.write_text(gtf.read_text().replace("1200\t1300", "1210\t1300"))
    os.utime(src, ns=(stamp + 10**9, stamp + 10**9))
    changed = load_gene_model(src, cache_dir=cache)
    assert len(builds) == 2 and len(list(cache.glob("*.parquet"))) == 2 and not changed.table.equals(first.table)


def test_saved_gene_model_parquet_round_trip(tmp_path, gtf):
    from variantprio.annotate import save_gene_model

    model = load_gene_model(gtf, cache_dir=tmp_path / "c")
    path = save_gene_model(model, tmp_path / "model.parquet")
    back = load_gene_model(path)
    assert back.table.equals(model.table) and back.version == "gencode44" and back.build == "GRCh38"


def test_gzipped_gtf_matches_plain(tmp_path, gtf):
    import gzip

    gz = tmp_path / "test.gtf.gz"
    gz.write_bytes(gzip.compress(gtf.read_bytes()))
    assert load_gene_model(gz).table.equals(load_gene_model(gtf).table)


# --- CLI --------------------------------------------------------------------------------------------


def run_cli(tmp_path: Path, variants: Path, *extra: str):
    out = tmp_path / "out" / "annotations.parquet"
    result = CliRunner().invoke(main, ["annotate", "--variants", str(variants), "--out", str(out), *extra])
    return result, out


def assert_clean_failure(result, out: Path, *fragments: str) -> None:
    assert result.exit_code == 2, result.output
    errors = [l for l in result.stderr.splitlines() if l.startswith("variantprio: error:")]
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    assert not out.exists()


def test_cli_success(tmp_path, gtf):
    variants = ingest(tmp_path, [snv(1101)])
    result, out = run_cli(tmp_path, variants, "--gene-model", str(gtf), "--threads", "2")
    assert result.exit_code == 0, result.output
    assert pq.read_table(out).column("consequence").to_pylist() == ["splice_donor_variant"]


def test_cli_missing_gene_model(tmp_path):
    variants = ingest(tmp_path, [snv(1101)])
    result, out = run_cli(tmp_path, variants, "--gene-model", str(tmp_path / "nope.gtf"))
    assert_clean_failure(result, out, "nope.gtf", "gene model not found")


def test_cli_malformed_gtf_names_line(tmp_path):
    variants = ingest(tmp_path, [snv(1101)])
    bad = tmp_path / "bad.gtf"
    lines = gtf_lines()
    lines[4] = lines[4].replace("\t1200\t", "\tx1200\t")
    bad.write_text("\n".join(lines) + "\n")
    result, out = run_cli(tmp_path, variants, "--gene-model", str(bad))
    assert_clean_failure(result, out, "bad.gtf:line 5", "not a number")


def test_cli_short_gtf_line(tmp_path):
    variants = ingest(tmp_path, [snv(1101)])
    bad = tmp_path / "short.gtf"
    bad.write_text("\n".join(gtf_lines()[:3] + ["chr1\tTEST\texon\t5\t10"] + gtf_lines()[3:]) + "\n")
    result, out = run_cli(tmp_path, variants, "--gene-model", str(bad))
    assert_clean_failure(result, out, "short.gtf:line 4", "fewer than 9")


def test_cli_build_mismatch(tmp_path, gtf):
    variants = ingest(tmp_path, [snv(1101)])
    other = tmp_path / "genes.grch37.gtf"
    other.write_text(gtf.read_text().replace("GRCh38", "GRCh37"))
    result, out = run_cli(tmp_path, variants, "--gene-model", str(other))
    assert_clean_failure(result, out, "GRCh37", "GRCh38")


def test_cli_no_annotations_and_no_model(tmp_path):
    variants = ingest(tmp_path, [snv(1101)])
    result, out = run_cli(tmp_path, variants)
    assert_clean_failure(result, out, "--gene-model")


def test_background_exome_with_reference_dir(tmp_path):
    vcf = shared_data("bench/background/pfeiffer-exome.grch38.vcf.gz")
    refdir = shared_data("bench/reference")
    variants = tmp_path / "v.parquet"
    ingest_run(IngestInputs(str(vcf)), IngestOutputs(str(variants)))
    out = tmp_path / "a.parquet"
    annotate_run(AnnotateInputs(variants, gene_model=str(refdir)), AnnotateOutputs(out))
    table, prov = read_table(out, "annotations")
    df = table.to_pandas()
    assert df.variant_idx.nunique() == pq.read_metadata(variants).num_rows
    assert (df.consequence == "splice_donor_variant").sum() > 0 and (df.consequence == "frameshift_variant").sum() > 10
    assert prov.sources["gene_model"].endswith("gencode44")


def _to_gff3(lines: list[str]) -> list[str]:
    """GENCODE-style GFF3 spelling of the test GTF (key=value attributes, tags comma-joined)."""
    out = ["##gff-version 3"]
    for line in lines:
        if line.startswith("#"):
            continue
        cols = line.split("\t")
        pairs = [p.strip().split(" ", 1) for p in cols[8].split(";") if p.strip()]
        attrs, tags = {}, []
        for key, value in pairs:
            value = value.strip('"')
            if key == "tag":
                tags.append(value)
            else:
                attrs[key] = value
        if tags:
            attrs["tag"] = ",".join(tags)
        attrs = {"ID": f"{cols[2]}:{attrs['transcript_id']}", "Parent": attrs["transcript_id"], **attrs}
        cols[8] = ";".join(f"{k}={v}" for k, v in attrs.items())
        out.append("\t".join(cols))
    return out


def test_gff3_gives_the_same_consequences(tmp_path, gtf):
    gff = tmp_path / "test.gencode44.gff3"
    gff.write_text("\n".join(_to_gff3(gtf_lines())) + "\n")
    records = [snv(p) for p, _, _ in SNV_CASES]
    from_gtf, _ = annotate_records(tmp_path, gtf, records)
    from_gff, _ = annotate_records(tmp_path, gff, records)
    cols = ["pos", "gene_symbol", "transcript_id", "is_mane", "consequence", "exon", "intron"]
    pd.testing.assert_frame_equal(from_gtf[cols], from_gff[cols])


def _to_ensembl_gff3(lines: list[str]) -> list[str]:
    """Ensembl-style GFF3: gene names and tags only on gene/transcript rows, exons point at them."""
    out, seen = ["##gff-version 3", "#!genome-build GRCh38.p14"], set()
    for line in lines:
        if line.startswith("#"):
            continue
        cols = line.split("\t")
        a = dict(p.strip().split(" ", 1) for p in cols[8].split(";") if p.strip() and not p.strip().startswith("tag"))
        a = {k: v.strip('"') for k, v in a.items()}
        mane = "MANE_Select" in cols[8]
        if cols[2] == "transcript":
            continue
        if a["gene_id"] not in seen:
            seen.add(a["gene_id"])
            out.append("\t".join(cols[:2] + ["gene", "1", "9000"] + cols[5:8] + [
                f"ID=gene:{a['gene_id']};Name={a['gene_name']};biotype=protein_coding;gene_id={a['gene_id']}"]))
        if a["transcript_id"] not in seen:
            seen.add(a["transcript_id"])
            tag = ";tag=basic,MANE_Select" if mane else ""
            out.append("\t".join(cols[:2] + ["mRNA", "1", "9000"] + cols[5:8] + [
                f"ID=transcript:{a['transcript_id']};Parent=gene:{a['gene_id']}{tag}"]))
        out.append("\t".join(cols[:8] + [f"Parent=transcript:{a['transcript_id']}"]))
    return out


def test_ensembl_gff3_names_genes_through_parents(tmp_path, gtf):
    gff = tmp_path / "Homo_sapiens.GRCh38.110.gff3"
    gff.write_text("\n".join(_to_ensembl_gff3(gtf_lines())) + "\n")
    records = [snv(p) for p, _, _ in SNV_CASES]
    from_gtf, _ = annotate_records(tmp_path, gtf, records)
    from_gff, prov = annotate_records(tmp_path, gff, records)
    cols = ["pos", "gene_symbol", "gene_id", "transcript_id", "is_mane", "consequence", "exon", "intron"]
    pd.testing.assert_frame_equal(from_gtf[cols], from_gff[cols])
    assert prov.extra["gene_model_version"] == "unversioned"

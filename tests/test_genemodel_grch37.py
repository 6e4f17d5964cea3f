"""`resources gene-model` builds from a GENCODE GRCh37 (lift37) GTF exactly as from a GRCh38 one: the
same transcripts, the build read from the header, and the same consequences at the same (shifted)
places; annotating variants of the other build is refused."""

from __future__ import annotations

import gzip

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from conftest import write_vcf
from variantprio.annotate import AnnotateInputs, AnnotateOutputs, load_gene_model
from variantprio.annotate import run as annotate_run
from variantprio.annotate.genemodel import gene_model_build
from variantprio.cli import main
from variantprio.errors import InputError
from variantprio.ingest import IngestInputs, IngestOutputs
from variantprio.ingest import run as ingest_run

SHIFT = 1_000_000  # where the gene sits on GRCh37 relative to GRCh38 in these files
# FGFR2-like: minus strand, three coding exons, MANE Select (GRCh38 positions).
EXONS = [(10_000, 10_200), (11_000, 11_150), (12_000, 12_300)]
CDS = [(10_100, 10_200), (11_000, 11_150), (12_000, 12_203)]
HEADERS = {
    "GRCh38": ["##description: evidence-based annotation of the human genome (GRCh38), version 44 (Ensembl 110)",
               "##provider: GENCODE", "##format: gtf", "##date: 2023-06-28"],
    "GRCh37": ["##description: evidence-based annotation of the human genome (GRCh37), version 44 (Ensembl 110), "
               "mapped to GRCh37 with gencode-backmap", "##provider: GENCODE", "##format: gtf", "##date: 2023-06-28"],
}


def gencode_gtf(path, build: str):
    """GENCODE-format GTF; lift37 IDs carry the `_N` remap suffix and the remap_* attributes."""
    shift = SHIFT if build == "GRCh37" else 0
    suffix, remap = ("_4", ' remap_status "full_contig"; remap_num_mappings 1;') if build == "GRCh37" else ("", "")
    attrs = (f'gene_id "ENSG00000066468.23{suffix}"; transcript_id "ENST00000358487.10{suffix}"; '
             f'gene_type "protein_coding"; gene_name "FGFR2"; transcript_type "protein_coding"; '
             f'tag "Ensembl_canonical"; tag "MANE_Select";{remap}')
    rows = [("gene", 10_000, 12_300), ("transcript", 10_000, 12_300)]
    rows += [("exon", a, b) for a, b in EXONS] + [("CDS", a, b) for a, b in CDS]
    rows += [("start_codon", 12_201, 12_203), ("stop_codon", 10_097, 10_099)]
    lines = HEADERS[build] + [f"chr10\tHAVANA\t{feature}\t{a + shift}\t{b + shift}\t.\t-\t.\t{attrs}"
                              for feature, a, b in rows]
    with gzip.open(path, "wt") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


@pytest.fixture()
def models(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    out = {}
    for build, name in (("GRCh38", "gencode.v44.annotation.gtf.gz"), ("GRCh37", "gencode.v44lift37.annotation.gtf.gz")):
        gtf = gencode_gtf(tmp_path / name, build)
        parquet = tmp_path / f"{build}.parquet"
        result = CliRunner().invoke(main, ["resources", "gene-model", "--from", str(gtf), "--out", str(parquet)])
        assert result.exit_code == 0, result.output
        assert "gencode44" in result.output
        out[build] = parquet
    return out


def test_lift37_gtf_builds_like_a_grch38_one(models):
    m37, m38 = load_gene_model(models["GRCh37"]), load_gene_model(models["GRCh38"])
    assert (m37.build, m38.build) == ("GRCh37", "GRCh38") and m37.version == m38.version == "gencode44"
    assert gene_model_build(models["GRCh37"]) == "GRCh37"
    t37, t38 = m37.table.to_pylist(), m38.table.to_pylist()
    assert len(t37) == len(t38) == 1
    a, b = t37[0], t38[0]
    assert a["gene_symbol"] == b["gene_symbol"] == "FGFR2" and a["is_mane"] and b["is_mane"]
    assert a["transcript_id"] == b["transcript_id"] + "_4"
    for key in ("start", "end", "cds_start", "cds_end"):
        assert a[key] - b[key] == SHIFT, key
    assert [s - SHIFT for s in a["exon_starts"]] == b["exon_starts"]


def _annotate(tmp_path, build: str, model, pos: int):
    chrom = "10" if build == "GRCh37" else "chr10"
    vcf = write_vcf(tmp_path / f"{build}.vcf", [f"{chrom} {pos} . C T 50 PASS . GT 0/1"], samples=("P1",),
                    build=build, contigs=("chr10",) if build == "GRCh38" else {"10": 135534747})
    variants = tmp_path / f"{build}.variants.parquet"
    ingest_run(IngestInputs(vcf), IngestOutputs(variants))
    out = tmp_path / f"{build}.annotations.parquet"
    annotate_run(AnnotateInputs(variants, gene_model=str(model)), AnnotateOutputs(out))
    return pq.read_table(out)


@pytest.mark.parametrize("pos38", [10_150, 10_201, 11_100])
def test_same_consequence_on_both_builds_and_the_other_build_is_refused(tmp_path, models, pos38):
    on38 = _annotate(tmp_path, "GRCh38", models["GRCh38"], pos38)
    on37 = _annotate(tmp_path, "GRCh37", models["GRCh37"], pos38 + SHIFT)
    for column in ("gene_symbol", "consequence", "exon", "intron"):
        assert on37.column(column).to_pylist() == on38.column(column).to_pylist(), column
    # HGVS names the transcript: the lift37 ID carries the remap suffix, the change is the same.
    assert [h and h.replace("_4:", ":") for h in on37.column("hgvs_c").to_pylist()] == on38.column("hgvs_c").to_pylist()
    assert pc.all(pc.equal(on37.column("pos"), pos38 + SHIFT)).as_py()
    with pytest.raises(InputError, match="gene model is GRCh38 but the variants are GRCh37"):
        annotate_run(AnnotateInputs(tmp_path / "GRCh37.variants.parquet", gene_model=str(models["GRCh38"])),
                     AnnotateOutputs(tmp_path / "x.parquet"))
    assert not (tmp_path / "x.parquet").exists()

"""Bulk joins (issue 22): a genome's sources read once in order, or from a Parquet conversion made by
`resources convert-source`, join exactly the values the tabix path joins. Sources are generated
here in their real formats (bgzipped and tabix-indexed by htslib) with multi-allelic records,
indels that trim, duplicate rows, contigs missing on either side and both contig namings."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pysam
import pytest
from click.testing import CliRunner
from conftest import run_cli, write_vcf
from test_annotate import ANNOTATE_META, gtf  # noqa: F401  (fixture)
from test_annotate_sources import CLINVAR_INFO, GNOMAD_INFO, GRCH38, SPLICEAI_INFO

from variantprio.annotate import AnnotateInputs, AnnotateOptions, AnnotateOutputs
from variantprio.annotate import run as annotate_run
from variantprio.annotate.sourceconfig import SourceSpec
from variantprio.annotate.sourcedataset import (
    ROW_GROUP_ROWS,
    convert_source,
    open_dataset,
)
from variantprio.cli import main
from variantprio.errors import InputError
from variantprio.ingest import IngestInputs, IngestOptions, IngestOutputs
from variantprio.ingest import run as ingest_run
from variantprio.tables import read_table

CONTIGS = {"chr1": 248956422, "chr2": 242193529, "chrX": 156040895}
NEVER = 10**12  # a bulk threshold no test input reaches: the tabix path


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def _variants(rng: np.random.Generator) -> list[tuple[str, int, str, str]]:
    """Sites over chr1 (inside the test gene model too), chr2 and chrX: SNVs, deletions,
    insertions and multi-allelic records."""
    out = []
    for chrom, n in (("chr1", 150), ("chr2", 60), ("chrX", 40)):
        for pos in np.sort(rng.choice(np.arange(900, 60_000, 7), n, replace=False)):
            kind = rng.random()
            if kind < 0.6:
                ref, alt = "A", str(rng.choice(["C", "G", "T"]))
            elif kind < 0.75:
                ref, alt = "CAT", "C"
            elif kind < 0.85:
                ref, alt = "G", "GTT"
            else:
                ref, alt = "A", "G,T"
            out.append((chrom, int(pos), ref, alt))
    return out


def _bgzip_tabix(path: Path, text: str, seq: int, pos: int) -> Path:
    path.write_text(text)
    return Path(pysam.tabix_index(str(path), seq_col=seq, start_col=pos, end_col=pos, meta_char="#", force=True))


def _sources(d: Path, sites: list[tuple[str, int, str, str]], rng: np.random.Generator) -> dict[str, Path]:
    """gnomAD (bare names, no chr2, an extra contig 5, duplicate records, padded indels), ClinVar
    (chr names, no chrX), SpliceAI, CADD (one row per transcript), REVEL (two position columns,
    duplicates) and AlphaMissense, each at a random part of the sites plus decoys."""
    d.mkdir()
    order = {"chr1": 0, "chr2": 1, "chrX": 2, "chr5": 3}
    gnomad, clinvar, splice, cadd, revel, am = [], [], [], [], [], []
    for chrom, pos, ref, alt in sites:
        bare = chrom[3:]
        alts = alt.split(",")
        af = ",".join(f"{x:.4g}" for x in rng.random(len(alts) + 1) / 50)
        if chrom != "chr2" and rng.random() < 0.8:
            if ref == "CAT":  # written with a padding base: CATA>CA,CATG trims to CAT>C and A>G at pos+3
                gnomad.append((order[chrom], pos, f"{bare}\t{pos}\t.\tCATA\tCA,CATG\t.\tPASS\t"
                                              f"AF={af.rsplit(',', 1)[0]};AF_grpmax=0.01,0.02;nhomalt=0,1;AC_XY=2,3"))
            else:
                extra = "C" if "C" not in alts and len(ref) == 1 else "CT"
                info = f"AF={af};AF_grpmax=0.3,0.2,0.1;nhomalt=1,0,2;AC_XY=4,5,6"
                gnomad.append((order[chrom], pos, f"{bare}\t{pos}\t.\t{ref}\t{alt},{extra}\t.\tPASS\t{info}"))
            if rng.random() < 0.2:  # a duplicate record: its AF is missing, its popmax differs
                gnomad.append((order[chrom], pos, f"{bare}\t{pos}\t.\t{ref}\t{alts[0]}\t.\tPASS\t"
                                                  "AF=.;AF_grpmax=0.5;nhomalt=7"))
        if chrom != "chr2":  # a decoy beside the site
            gnomad.append((order[chrom], pos + 1, f"{bare}\t{pos + 1}\t.\tT\tA\t.\tPASS\tAF=0.9"))
        if chrom != "chrX" and rng.random() < 0.4:
            clinvar.append((order[chrom], pos, f"{chrom}\t{pos}\t1\t{ref}\t{alts[-1]}\t.\t.\t"
                                               f"CLNSIG=Likely_pathogenic;CLNREVSTAT=reviewed_by_expert_panel"))
        if rng.random() < 0.5:
            entries = ",".join(f"{a}|G|0.{rng.integers(0, 99):02d}|0.01|0.{rng.integers(0, 99):02d}|0.0|1|2|3|4"
                               for a in alts)
            splice.append((order[chrom], pos, f"{chrom}\t{pos}\t.\t{ref}\t{alt}\t.\t.\tSpliceAI={entries}"))
        for a in alts:
            for _ in range(int(rng.integers(0, 3))):
                cadd.append((order[chrom], pos, f"{bare}\t{pos}\t{ref}\t{a}\t0.1\t{rng.random() * 40:.3f}"))
            if rng.random() < 0.5:
                for _ in range(2):
                    revel.append((order[chrom], pos, f"{bare}\t{pos - 100}\t{pos}\t{ref}\t{a}\t{rng.random():.3f}"))
            if rng.random() < 0.5:
                am.append((order[chrom], pos, f"{chrom}\t{pos}\t{ref}\t{a}\thg38\t{rng.random():.3f}"))
    for pos in (100, 200):  # a contig none of the variants is on
        gnomad.append((order["chr5"], pos, f"5\t{pos}\t.\tA\tG\t.\tPASS\tAF=0.5"))

    def lines(rows) -> list[str]:
        return [line for _, _, line in sorted(rows, key=lambda r: (r[0], r[1]))]

    def body(rows) -> str:
        return "".join(line + "\n" for line in lines(rows))

    out = {}
    lengths = {"1": GRCH38["1"], "2": 242193529, "X": GRCH38["X"], "5": 181538259}
    vcfs = (("gnomad", gnomad, lengths, GNOMAD_INFO), ("clinvar", clinvar, CONTIGS, CLINVAR_INFO),
            ("spliceai", splice, CONTIGS, SPLICEAI_INFO))
    for kind, rows, contigs, info in vcfs:
        out[kind] = write_vcf(d / f"{kind}.vcf.gz", lines(rows), samples=(), contigs=contigs, meta=info, index=True)
    out["cadd"] = _bgzip_tabix(d / "cadd.tsv", "## CADD GRCh38-v1.7\n#Chrom\tPos\tRef\tAlt\tRawScore\tPHRED\n"
                               + body(cadd), 0, 1)
    out["revel"] = _bgzip_tabix(d / "revel.tsv", "#chr\thg19_pos\tgrch38_pos\tref\talt\tREVEL\n" + body(revel), 0, 2)
    out["alphamissense"] = _bgzip_tabix(d / "am.tsv", "# Copyright\n#CHROM\tPOS\tREF\tALT\tgenome\tam_pathogenicity\n"
                                        + body(am), 0, 1)
    return out


def _config(path: Path, sources: dict[str, Path], versions: dict[str, str] | None = None) -> Path:
    lines = ["sources:"] + [f"  - {{name: {k}, kind: {k}, path: '{p}', version: '{(versions or {}).get(k, 'v1')}', "
                            f"build: GRCh38}}" for k, p in sources.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def case(tmp_path_factory, gtf):  # noqa: F811
    """Variants (ingested from a VCF), the six generated sources and their sources config."""
    d = tmp_path_factory.mktemp("bulk")
    rng = np.random.default_rng(22)
    sites = _variants(rng)
    records = [f"{c} {p} . {r} {a} 50 PASS .".split() + ["GT", "1/2" if "," in a else "0/1"] for c, p, r, a in sites]
    vcf = write_vcf(d / "in.vcf", records, samples=("S1",), contigs=CONTIGS, meta=ANNOTATE_META)
    variants = d / "variants.parquet"
    ingest_run(IngestInputs(str(vcf)), IngestOutputs(str(variants)), IngestOptions(build="GRCh38"))
    sources = _sources(d / "sources", sites, rng)
    return {"dir": d, "variants": variants, "sources": sources, "config": _config(d / "sources.yaml", sources),
            "gtf": gtf}


def _annotate(case: dict, out: Path, config: Path, min_variants: int) -> pd.DataFrame:
    annotate_run(AnnotateInputs(case["variants"], gene_model=str(case["gtf"]), sources=str(config)),
                 AnnotateOutputs(out), AnnotateOptions(bulk_join_min_variants=min_variants))
    table, prov = read_table(out, "annotations")
    return table, prov


def test_bulk_join_gives_the_tabix_join_s_annotations(case, tmp_path):
    by_tabix, prov_tabix = _annotate(case, tmp_path / "out" / "tabix.parquet", case["config"], NEVER)
    bulk, prov_bulk = _annotate(case, tmp_path / "out" / "bulk.parquet", case["config"], 0)
    assert bulk.equals(by_tabix)
    assert prov_bulk.extra["source_matches"] == prov_tabix.extra["source_matches"]
    assert (prov_tabix.extra["bulk_join"], prov_bulk.extra["bulk_join"]) == (False, True)
    matches = prov_bulk.extra["source_matches"]
    assert all(matches[k] > 10 for k in case["sources"]), matches  # every source really joined
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["bulk.parquet", "tabix.parquet"]  # temp removed
    df = bulk.to_pandas()
    assert df[df.chrom == "chr2"].gnomad_af.isna().all()  # gnomAD has no chr2
    assert df[df.chrom == "chrX"].clinvar_significance.isna().all()
    assert (df.chrom == "chrX").any() and df[df.chrom == "chrX"].gnomad_hemi.notna().any()


def test_the_join_semantics_survive_the_bulk_path(case, tmp_path):
    """Hand-checked rules on the bulk output: first value present among duplicate records, largest
    of several score rows, a padded multi-allelic indel trimmed onto the variant."""
    df, _ = _annotate(case, tmp_path / "bulk.parquet", case["config"], 0)
    df = df.to_pandas().drop_duplicates(["chrom", "pos", "ref", "alt"]).set_index(["chrom", "pos", "ref", "alt"])
    cadd = pd.read_csv(case["sources"]["cadd"], sep="\t", comment="#", header=None,
                       names=["chrom", "pos", "ref", "alt", "raw", "phred"], dtype={"chrom": str})
    best = cadd.assign(chrom="chr" + cadd.chrom).groupby(["chrom", "pos", "ref", "alt"]).phred.max()
    joined = df.cadd_phred.dropna()
    assert len(joined) == len(best.reindex(joined.index).dropna()) > 20
    assert np.allclose(joined.to_numpy(), best.reindex(joined.index).to_numpy(), atol=1e-4)
    dels = df[(df.index.get_level_values("ref") == "CAT") & df.gnomad_af.notna()]
    assert len(dels) and (dels.gnomad_popmax_af == 0.01).all()  # from the padded CATA>CA record
    assert np.isnan(df.gnomad_af).sum() < len(df)


def test_converted_datasets_join_the_same_values(case, tmp_path):
    by_tabix, _ = _annotate(case, tmp_path / "tabix.parquet", case["config"], NEVER)
    converted = {}
    for kind, path in case["sources"].items():
        out = tmp_path / "converted" / kind
        result = CliRunner().invoke(main, ["resources", "convert-source", "--source", str(path), "--kind", kind,
                                           "--version", "v1", "--build", "GRCh38", "--out", str(out)])
        assert result.exit_code == 0, result.output
        converted[kind] = out
    config = _config(tmp_path / "converted.yaml", converted)
    for threshold in (NEVER, 0):  # a converted source is read from its Parquet whatever the size
        got, prov = _annotate(case, tmp_path / f"converted-{threshold}.parquet", config, threshold)
        assert got.equals(by_tabix)
    assert prov.extra["source_files"]["gnomad"]["path"] == str(converted["gnomad"])


def test_a_conversion_is_sorted_partitioned_and_records_its_input(case, tmp_path):
    source = case["sources"]["gnomad"]
    spec = SourceSpec("gnomAD", "gnomad", source, "4.1", "GRCh38")
    dataset = convert_source(spec, tmp_path / "gnomad.parquet.d")
    facts = dataset.facts
    assert (facts["kind"], facts["version"], facts["build"], facts["name"]) == ("gnomad", "4.1", "GRCh38", "gnomAD")
    assert facts["input"]["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert facts["input"]["file"] == source.name and facts["input"]["bytes"] == source.stat().st_size
    assert sorted(facts["contigs"]) == ["chr1", "chr5", "chrX"]  # canonical names; gnomAD has no chr2
    assert facts["source_contigs"] == {"1": GRCH38["1"], "X": GRCH38["X"], "5": 181538259}
    total = 0
    for contig, entry in facts["contigs"].items():
        part = dataset.path / entry["file"]
        assert part.parent.name == f"chrom={contig}"
        pos = pq.read_table(part).column("pos").to_numpy()
        assert (np.diff(pos) >= 0).all() and len(pos) == entry["rows"]
        total += len(pos)
        meta = json.loads(pq.read_schema(dataset.path / "_common_metadata").metadata[b"variantprio.source_dataset"])
        assert meta["version"] == "4.1"
    assert total == facts["rows"] > 300


def test_small_blocks_give_the_same_dataset(case, tmp_path):
    """Records split over many parse blocks (the trimmed alleles held back across block ends)."""
    for kind in ("gnomad", "cadd"):
        spec = SourceSpec(kind, kind, case["sources"][kind], "v1", "GRCh38")
        whole = convert_source(spec, tmp_path / f"{kind}-whole")
        pieces = convert_source(spec, tmp_path / f"{kind}-pieces", block_bytes=300)
        for contig in whole.facts["contigs"]:
            a = pq.read_table(whole.contig_file(contig))
            b = pq.read_table(pieces.contig_file(contig))
            assert a.equals(b), (kind, contig)


def test_row_groups_far_from_the_variants_are_not_read(case, tmp_path, monkeypatch):
    """A dataset join reads only the row groups whose position range holds a variant position."""
    from variantprio.annotate import sourcedataset

    spec = SourceSpec("cadd", "cadd", case["sources"]["cadd"], "v1", "GRCh38")
    monkeypatch.setattr(sourcedataset, "ROW_GROUP_ROWS", 8)
    dataset = convert_source(spec, tmp_path / "cadd")
    groups = pq.ParquetFile(dataset.contig_file("chr1")).metadata.num_row_groups
    assert groups > 10
    read = []
    original = pq.ParquetFile.read_row_groups
    monkeypatch.setattr(pq.ParquetFile, "read_row_groups",
                        lambda self, groups, **kw: read.extend(groups) or original(self, groups, **kw))
    first = pq.read_table(dataset.contig_file("chr1")).slice(0, 1).to_pandas()
    keys = pa.table({"chrom": ["chr1"], "pos": first.pos, "ref": first.ref, "alt": first.alt})
    rows = sourcedataset.dataset_rows(open_dataset(dataset.path), keys).to_pandas()
    assert len(read) <= 2 and (rows.pos == first.pos[0]).all() and len(rows) >= 1
    assert ROW_GROUP_ROWS >= 1 << 16  # the shipped size: a lookup reads at most a few MB


def test_unsorted_source_is_refused_without_leaving_output(tmp_path):
    source = tmp_path / "cadd.tsv"
    source.write_text("#Chrom\tPos\tRef\tAlt\tRawScore\tPHRED\n1\t500\tA\tG\t1\t20\n1\t400\tA\tG\t1\t21\n")
    out = tmp_path / "out" / "cadd"
    result = run_cli("resources", "convert-source", "--source", str(source), "--kind", "cadd", "--version", "1.7",
                     "--build", "GRCh38", "--out", str(out), check=False)
    assert result.returncode == 2
    line = result.stderr.strip().splitlines()[-1]
    assert f"{source}:1:400" in line and "not sorted" in line and "fix:" in line
    assert not out.exists() and list((tmp_path / "out").iterdir()) == []
    source.write_text("#Chrom\tPos\tRef\tAlt\tRawScore\tPHRED\n1\t500\tA\tG\t1\t20\n2\t1\tA\tG\t1\t20\n"
                      "1\t600\tA\tG\t1\t21\n")
    with pytest.raises(InputError, match="contig 1 appears again after 2"):
        convert_source(SourceSpec("cadd", "cadd", source, "1.7", "GRCh38"), out)


def test_convert_source_refuses_to_replace_a_directory_that_is_not_a_dataset(tmp_path):
    source = tmp_path / "cadd.tsv"
    source.write_text("#Chrom\tPos\tRef\tAlt\tRawScore\tPHRED\n1\t500\tA\tG\t1\t20\n")
    precious = tmp_path / "data"
    precious.mkdir()
    (precious / "keep.txt").write_text("x")
    with pytest.raises(InputError, match="not a converted source dataset"):
        convert_source(SourceSpec("cadd", "cadd", source, "1.7", "GRCh38"), precious)
    assert (precious / "keep.txt").exists()
    spec = SourceSpec("cadd", "cadd", source, "1.7", "GRCh38")
    convert_source(spec, tmp_path / "ds")
    again = convert_source(spec, tmp_path / "ds")  # an earlier conversion is replaced
    assert again.facts["rows"] == 1 and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.parametrize("field, value, message", [
    ("version", "v2", "declared version v2 but the converted dataset holds version v1"),
    ("kind", "revel", "declared kind revel but the converted dataset holds kind cadd"),
    ("build", "GRCh37", "declared GRCh37 but the variants are GRCh38"),
])
def test_a_dataset_that_is_not_the_declared_source_is_an_error(case, tmp_path, field, value, message):
    out = tmp_path / "cadd"
    convert_source(SourceSpec("cadd", "cadd", case["sources"]["cadd"], "v1", "GRCh38"), out)
    entry = {"name": "cadd", "kind": "cadd", "path": str(out), "version": "v1", "build": "GRCh38", field: value}
    config = tmp_path / "c.yaml"
    config.write_text("sources:\n  - " + json.dumps(entry) + "\n")
    with pytest.raises(InputError, match=message):
        _annotate(case, tmp_path / "a.parquet", config, NEVER)
    assert not (tmp_path / "a.parquet").exists()


def test_annotate_cli_takes_the_bulk_threshold(case, tmp_path):
    out = tmp_path / "cli.parquet"
    run_cli("annotate", "--variants", str(case["variants"]), "--out", str(out), "--gene-model", str(case["gtf"]),
            "--sources", str(case["config"]), "--bulk-join-min-variants", "0")
    table, prov = read_table(out, "annotations")
    assert prov.extra["bulk_join"] is True
    expected, _ = _annotate(case, tmp_path / "tabix.parquet", case["config"], NEVER)
    assert table.equals(expected)


def test_validate_reads_a_converted_source_s_build_and_mitochondrion(tmp_path):
    """`validate` takes a converted dataset for a source file: its recorded build and contigs (here
    b37's MT) are checked against each VCF as a tabix file's header is."""
    from conftest import clinvar_vcf
    from test_validate_builds import b37_vcf, hg19_vcf, one_problem, source, validate

    clinvar = clinvar_vcf(tmp_path / "clinvar.vcf.gz", "GRCh37", [("1", 1000, "A", "G"), ("MT", 73, "A", "G")])
    converted = tmp_path / "clinvar.d"
    convert_source(SourceSpec("ClinVar", "clinvar", clinvar, "1", "GRCh37"), converted)
    config = {"genome_build": "GRCh37", "sources": [source("ClinVar", converted, "GRCh37")]}
    result, _ = validate(tmp_path, b37_vcf(tmp_path / "b37.vcf"), config)
    assert result.exit_code == 0, result.output
    result, _ = validate(tmp_path, hg19_vcf(tmp_path / "hg19.vcf"), config)
    one_problem(result, "hg19's chrM", "source ClinVar uses the rCRS mitochondrion")


INFO_CASES = ["AF=0.1;DB;AF_grpmax=0.2;AF=9", ".", "XAF=3;nhomalt=", "DB;AF", "AF=a=b;AF_grpmax=1,2", "",
              "AF_grpmax=;AF=,"]


def test_info_fields_read_what_the_key_pattern_reads():
    """One split of INFO gives each key's first value, as the pattern `(^|;)KEY=([^;]*)` does."""
    import re

    from variantprio.annotate.sourceparse import info_fields

    keys = ["AF", "AF_grpmax", "nhomalt", "DB", "XAF", "absent"]
    got = info_fields(pa.chunked_array([pa.array(INFO_CASES)]), keys)
    for key in keys:
        expected = [(m.group(1) if (m := re.search(rf"(?:^|;){re.escape(key)}=([^;]*)", s)) else None)
                    for s in INFO_CASES]
        assert got[key].to_pylist() == expected, key


@pytest.mark.parametrize("far", [False, True])
def test_allele_keys_join_by_all_four_columns(far):
    """Same position, other allele or contig: no match; positions too large to pack take the
    rank path, with the same answers."""
    from variantprio.core.alleles import AlleleKeys

    base = 1 << 61 if far else 1000
    keys = pa.table({"chrom": ["chr1", "chr1", "chr2", "chr1", "chr1"], "pos": [base, base, base, base + 5, base],
                     "ref": ["A", "A", "A", "CA", "A"], "alt": ["G", "T", "G", "C", "G"]})
    rows = pa.table({"chrom": ["chr2", "chr1", "chr1", "chr3", "chr1"], "pos": [base, base, base + 5, base, base + 1],
                     "ref": ["A", "A", "CA", "A", "A"], "alt": ["G", "G", "C", "G", "G"]})
    coded = AlleleKeys(keys)
    assert coded.fits is not far
    assert coded.index_of(rows).tolist() == [1, -1, 0, 2, 1]
    assert coded.first_rows().tolist() == [0, 1, 2, 3]
    assert coded.index_of(rows.slice(0, 0)).tolist() == [-1] * 5


def test_to_float_reads_numbers_as_pandas_coercion_does():
    from variantprio.annotate.sourceparse import to_float

    values = ["0.001", "1e-5", "5", ".", "", "NaN", "inf", "-inf", " 1.5", "1.5e", None, "+2", "1."]
    expected = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(float)
    for chunk in (values, [v for v in values if v not in (" 1.5", "1.5e")]):  # fallback and fast path
        exp = pd.to_numeric(pd.Series(chunk, dtype=object), errors="coerce").to_numpy(float)
        np.testing.assert_array_equal(to_float(pa.array(chunk, pa.string())), exp)
    assert len(expected) == len(values)

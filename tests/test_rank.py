"""Rank stage: variant score components, gene combination, CLI. Inputs are tiny stage tables
written with tables.write_table following the contracts in schemas.py."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from click.testing import CliRunner

from variantprio.cli import main
from variantprio.rank import RankInputs, RankOptions, RankOutputs, load_model, score_variants
from variantprio.rank import run as rank_run
from variantprio.schemas import ANNOTATIONS, GENE_PHENOTYPE, SEGREGATION, VARIANTS
from variantprio.tables import Provenance, read_table, write_table

SAMPLES = ["P1", "FATHER", "MOTHER"]

# One row per variant: (chrom, pos, ref, alt, gene, consequence, impact, hgvs_p, gnomad_af, hom,
#   clinvar, stars, cadd, revel, zygosity per sample, segregation flags)
_VARIANTS = [
    # 0: the planted de novo frameshift in SCN1A
    dict(chrom="chr2", pos=166_000_100, ref="AT", alt="A", gene="SCN1A", consequence="frameshift_variant",
         impact="HIGH", hgvs_p="p.Ile100fs", af=None, hom=None, clinvar=None, stars=None, cadd=33.0,
         revel=None, zyg=[1, 0, 0], seg=dict(fits_ad=True, de_novo=True), pli=1.0, loeuf=0.1),
    # 1 + 2: compound heterozygous pair in CFTR (one from each parent)
    dict(chrom="chr7", pos=117_500_000, ref="G", alt="A", gene="CFTR", consequence="missense_variant",
         impact="MODERATE", hgvs_p="p.Gly551Asp", af=3e-4, hom=0, clinvar="Pathogenic", stars=3, cadd=28.0,
         revel=0.9, zyg=[1, 1, 0], seg=dict(fits_ar_comphet=True, comphet_partner_idx=2, comphet_phase="trans"),
         pli=0.0, loeuf=0.9),
    dict(chrom="chr7", pos=117_600_000, ref="C", alt="T", gene="CFTR", consequence="stop_gained",
         impact="HIGH", hgvs_p="p.Arg553Ter", af=5e-5, hom=0, clinvar="Pathogenic", stars=2, cadd=40.0,
         revel=None, zyg=[1, 0, 1], seg=dict(fits_ar_comphet=True, comphet_partner_idx=1, comphet_phase="trans"),
         pli=0.0, loeuf=0.9),
    # 3: common inherited missense in TTN fitting nothing
    dict(chrom="chr2", pos=178_500_000, ref="T", alt="C", gene="TTN", consequence="missense_variant",
         impact="MODERATE", hgvs_p="p.Lys10Glu", af=0.02, hom=150, clinvar="Benign", stars=2, cadd=12.0,
         revel=0.05, zyg=[1, 1, 0], seg=dict(), pli=0.0, loeuf=0.9),
    # 4: rare missense in MYH7 that fits AD only, but the disease is annotated AR only
    dict(chrom="chr14", pos=23_400_000, ref="G", alt="T", gene="MYH7", consequence="missense_variant",
         impact="MODERATE", hgvs_p="p.Arg403Gln", af=None, hom=None, clinvar=None, stars=None, cadd=29.0,
         revel=0.95, zyg=[1, 0, 1], seg=dict(fits_ad=True), pli=0.9, loeuf=0.3),
    # 5: in the segregation table but not carried by the proband
    dict(chrom="chr14", pos=23_400_500, ref="A", alt="G", gene="MYH7", consequence="stop_gained",
         impact="HIGH", hgvs_p="p.Trp10Ter", af=None, hom=None, clinvar=None, stars=None, cadd=40.0,
         revel=None, zyg=[0, 1, 0], seg=dict(fits_ad=True), pli=0.9, loeuf=0.3),
    # 6: intergenic
    dict(chrom="chr3", pos=1_000_000, ref="A", alt="C", gene=None, consequence="intergenic_variant",
         impact="MODIFIER", hgvs_p=None, af=None, hom=None, clinvar=None, stars=None, cadd=1.0,
         revel=None, zyg=[1, 1, 0], seg=dict(fits_ad=True), pli=None, loeuf=None),
    # 7: hemizygous X-linked synonymous in DMD (low variant score, no phenotype row)
    dict(chrom="chrX", pos=31_000_000, ref="C", alt="T", gene="DMD", consequence="synonymous_variant",
         impact="LOW", hgvs_p="p.Leu5=", af=1e-5, hom=0, clinvar=None, stars=None, cadd=5.0,
         revel=None, zyg=[3, 0, 1], seg=dict(fits_xr=True), pli=1.0, loeuf=0.2),
]

_PHENOTYPE = [
    ("SCN1A", 0.95, "OMIM:607208", "Dravet syndrome", ["AD"],
     [{"patient_term": "HP:0002069", "disease_term": "HP:0002069", "score": 2.5}]),
    ("CFTR", 0.40, "OMIM:219700", "Cystic fibrosis", ["AR"], []),
    ("TTN", 0.30, "OMIM:604145", "Myopathy", ["AD", "AR"], []),
    ("MYH7", 0.60, "OMIM:000001", "Recessive myopathy", ["AR"], []),
    ("KCNQ2", 0.90, "OMIM:613720", "Epileptic encephalopathy", ["AD"], []),  # no variant: not ranked
]


def _seg_row(i: int, v: dict) -> dict:
    row = dict(variant_idx=i, gene_symbol=v["gene"], fits_ad=False, de_novo=False, fits_ar_hom=False,
               fits_ar_comphet=False, comphet_partner_idx=None, comphet_phase=None, fits_xr=False,
               fits_xd=False, fits_mt=False)
    row.update(v["seg"])
    return row


def write_rank_case(directory: Path, variants: list[dict] | None = None,
                    phenotype: list[tuple] | None = None, sources: dict[str, str] | None = None) -> dict[str, Path]:
    """Write variants/annotations/segregation/gene_phenotype tables of a small trio case; `sources`
    replaces the annotation sources of the provenance (default gnomAD and ClinVar)."""
    variants = _VARIANTS if variants is None else variants
    phenotype = _PHENOTYPE if phenotype is None else phenotype
    directory.mkdir(parents=True, exist_ok=True)
    n = len(variants)
    key = dict(variant_idx=list(range(n)), chrom=[v["chrom"] for v in variants],
               pos=[v["pos"] for v in variants], ref=[v["ref"] for v in variants],
               alt=[v["alt"] for v in variants])
    zyg = [v["zyg"] for v in variants]
    var_tbl = pa.table(dict(
        key, id=[v.get("id") for v in variants], qual=[50.0] * n, filter=["PASS"] * n, is_sv=[False] * n, sv_end=[None] * n,
        gt=[[{3: 1}.get(z, max(z, 0)) for z in row] for row in zyg], zygosity=zyg,
        phased=[[False] * 3 for _ in zyg], ps=[[None] * 3 for _ in zyg], alt_hap=[None] * n, dp=[[30, 28, 35] for _ in zyg],
        gq=[[99, 90, 80] for _ in zyg], ad_ref=[[15, 28, 17] for _ in zyg], ad_alt=[[15, 0, 18] for _ in zyg],
        info_csq=[None] * n, info_ann=[None] * n, info_bcsq=[None] * n), schema=VARIANTS)
    ann_tbl = pa.table(dict(
        key, gene_symbol=[v["gene"] for v in variants], gene_id=[None] * n,
        transcript_id=["ENST0001" if v["gene"] else None for v in variants], is_mane=[True] * n,
        consequence=[v["consequence"] for v in variants], impact=[v["impact"] for v in variants],
        hgvs_c=["c.100A>G"] * n, hgvs_p=[v["hgvs_p"] for v in variants],
        p_synonymous=[v.get("p_synonymous") for v in variants],
        p_stop_gained=[v.get("p_stop_gained") for v in variants], exon=["2/10"] * n, intron=[None] * n,
        gnomad_af=[v["af"] for v in variants], gnomad_popmax_af=[v["af"] for v in variants],
        gnomad_hom=[v["hom"] for v in variants], gnomad_hemi=[None] * n,
        **{c: [None] * n for c in ("inhouse_ac", "inhouse_an", "inhouse_af", "inhouse_hom", "inhouse_hemi")},
        clinvar_significance=[v["clinvar"] for v in variants], clinvar_stars=[v["stars"] for v in variants],
        cadd_phred=[v["cadd"] for v in variants], revel=[v["revel"] for v in variants],
        alphamissense=[None] * n, spliceai_max=[0.0] * n, pli=[v["pli"] for v in variants],
        loeuf=[v["loeuf"] for v in variants], mis_z=[None] * n), schema=ANNOTATIONS)
    seg_tbl = pa.Table.from_pylist([_seg_row(i, v) for i, v in enumerate(variants)], schema=SEGREGATION)
    pheno_tbl = pa.Table.from_pylist([dict(gene_symbol=g, ncbi_gene_id=None, phenotype_score=s, phenotype_raw=s,
                                           disease_id=d, disease_name=name, disease_modes=m, matched_terms=t)
                                      for g, s, d, name, m, t in phenotype], schema=GENE_PHENOTYPE)
    prov = Provenance(genome_build="GRCh38", sources={"gnomad": "4.1", "clinvar": "2025-01"} if sources is None
                      else sources, samples=SAMPLES)
    paths = {name: directory / f"{name}.parquet" for name in ("variants", "annotations", "segregation", "pheno")}
    write_table(var_tbl, paths["variants"], "variants", prov)
    write_table(ann_tbl, paths["annotations"], "annotations", prov)
    write_table(seg_tbl, paths["segregation"], "segregation", Provenance(samples=SAMPLES))
    write_table(pheno_tbl, paths["pheno"], "gene_phenotype", Provenance(sources={"hpo": "2025-01-16"}))
    return paths


def run_rank_case(tmp_path: Path, model: Path | None = None, **kwargs) -> tuple[pd.DataFrame, pd.DataFrame]:
    paths = write_rank_case(tmp_path / "in", **kwargs)
    rank_run(RankInputs(paths["variants"], paths["annotations"], paths["segregation"], paths["pheno"], "P1"),
             RankOutputs(tmp_path / "genes.parquet", tmp_path / "ranked.parquet"), RankOptions(model))
    genes, _ = read_table(tmp_path / "genes.parquet", "genes")
    ranked, _ = read_table(tmp_path / "ranked.parquet", "ranked_variants")
    return genes.to_pandas(), ranked.to_pandas()


# --- variant score components ---------------------------------------------------------------

def _ann(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    base = {name: [None] * n for name in ANNOTATIONS.names}
    base.update(columns)
    return pd.DataFrame(base)


def test_missing_frequency_is_neutral_not_hidden():
    scored = score_variants(_ann(consequence=["stop_gained", "stop_gained", "stop_gained"],
                                 gnomad_af=[None, 1e-6, 0.05], gnomad_popmax_af=[None, 1e-6, 0.05]))
    unknown, rare, common = scored["variant_score"]
    assert np.isnan(scored["score_rarity"][0])
    assert rare >= unknown > 0.8  # unknown frequency barely below confirmed ultra-rare
    assert common < 0.1


def test_consequence_orders_scores_and_insilico_refines_missense():
    scored = score_variants(_ann(consequence=["frameshift_variant", "missense_variant", "missense_variant",
                                              "synonymous_variant", "intron_variant"],
                                 revel=[None, 0.95, 0.05, None, None]))
    lof, damaging, benign, syn, intron = scored["variant_score"]
    assert lof > damaging > benign > syn > intron
    assert scored["score_insilico"][1] == pytest.approx(0.95)


def test_clinvar_pathogenic_lifts_and_reviewed_benign_caps():
    scored = score_variants(_ann(consequence=["missense_variant"] * 3,
                                 clinvar_significance=["Pathogenic", "Benign", "Uncertain_significance"],
                                 clinvar_stars=[3, 2, 1]))
    path, benign, vus = scored["variant_score"]
    assert path > 0.85 and benign <= 0.1
    assert scored["score_clinvar"].tolist() == [1.0, 0.0, 0.5]
    assert benign < vus < path


def test_population_homozygotes_and_hemizygotes_lower_rarity():
    scored = score_variants(_ann(consequence=["missense_variant"] * 3, gnomad_af=[1e-5] * 3,
                                 gnomad_hom=[0, 3, None], gnomad_hemi=[None, None, 2]))
    assert scored["score_rarity"][0] == 1.0
    assert scored["score_rarity"][1] < scored["score_rarity"][2] < scored["score_rarity"][0]


def test_splice_prediction_raises_synonymous():
    scored = score_variants(_ann(consequence=["synonymous_variant"] * 2, spliceai_max=[0.0, 0.9]))
    assert scored["variant_score"][1] > 0.8 > 0.2 > scored["variant_score"][0]


# --- gene ranking ---------------------------------------------------------------------------

def test_planted_de_novo_gene_ranks_first(tmp_path):
    genes, ranked = run_rank_case(tmp_path)
    assert genes["gene_symbol"].tolist()[0] == "SCN1A"
    top = genes.iloc[0]
    assert top["rank"] == 1.0 and top["mode"] == "AD" and bool(top["de_novo"])
    assert top["best_variant"] == "chr2:166000100:AT>A"
    assert any(t.startswith("PVS1") for t in top["acmg_tags"])
    assert any(t.startswith("PS2") for t in top["acmg_tags"])
    assert any(t.startswith("PP4") for t in top["acmg_tags"])
    assert genes["combined_score"].is_monotonic_decreasing
    assert set(genes["gene_symbol"]) == {"SCN1A", "CFTR", "TTN", "MYH7", "DMD"}  # not KCNQ2, not intergenic
    assert 5 not in ranked["variant_idx"].tolist()  # not carried by the proband


def test_compound_het_pair_is_the_best_unit(tmp_path):
    genes, ranked = run_rank_case(tmp_path)
    cftr = genes.set_index("gene_symbol").loc["CFTR"]
    assert cftr["mode"] == "AR" and bool(cftr["segregates"])
    assert cftr["best_variant"].count(" + ") == 1
    rows = ranked[ranked["gene_symbol"] == "CFTR"]
    assert rows["is_best"].all() and len(rows) == 2
    assert cftr["variant_score"] == pytest.approx(rows["variant_score"].mean())


def test_mode_not_allowed_by_disease_is_penalised(tmp_path):
    genes, ranked = run_rank_case(tmp_path)
    by_gene = genes.set_index("gene_symbol")
    assert not by_gene.loc["MYH7", "segregates"] and pd.isna(by_gene.loc["MYH7", "mode"])
    assert by_gene.loc["MYH7", "rank"] > by_gene.loc["CFTR", "rank"]
    myh7 = ranked[ranked["gene_symbol"] == "MYH7"].iloc[0]
    assert list(myh7["fitting_modes"]) == ["AD"] and not myh7["fits_allowed_mode"]
    # With unknown disease modes the same variant fits (any mode allowed).
    pheno = [p if p[0] != "MYH7" else ("MYH7", 0.6, None, None, None, []) for p in _PHENOTYPE]
    genes2, _ = run_rank_case(tmp_path / "unknown", phenotype=pheno)
    assert genes2.set_index("gene_symbol").loc["MYH7", "segregates"]


def test_genotypes_of_every_family_member(tmp_path):
    _, ranked = run_rank_case(tmp_path)
    dmd = ranked[ranked["gene_symbol"] == "DMD"].iloc[0]
    gts = {g["sample"]: g["gt"] for g in dmd["genotypes"]}
    assert gts == {"P1": "1", "FATHER": "0/0", "MOTHER": "0/1"}
    assert dmd["genotypes"][0]["dp"] == 30 and dmd["genotypes"][0]["gq"] == 99


def test_ties_share_the_mean_rank(tmp_path):
    twin = dict(_VARIANTS[0], pos=166_000_200, gene="SCN2A")
    pheno = _PHENOTYPE + [("SCN2A", 0.95, "OMIM:1", "Twin", ["AD"], [])]
    genes, _ = run_rank_case(tmp_path, variants=_VARIANTS + [twin], phenotype=pheno)
    top = genes[genes["gene_symbol"].isin(["SCN1A", "SCN2A"])]
    assert top["rank"].tolist() == [1.5, 1.5]
    assert genes["rank"].iloc[2] == 3.0


def test_model_is_swappable(tmp_path):
    model = json.loads((Path(__file__).parents[1] / "src/variantprio/data/rank_model.json").read_text())
    model["weights"]["phenotype_logit"] = 0.0  # variant evidence only: CFTR's pathogenic pair wins
    model["weights"]["de_novo"] = 0.0
    path = tmp_path / "model.json"
    path.write_text(json.dumps(model))
    genes, _ = run_rank_case(tmp_path, model=path)
    assert genes["gene_symbol"].iloc[0] == "CFTR"
    _, prov = read_table(tmp_path / "genes.parquet", "genes")
    assert "hand-set" in prov.sources["rank_model"]
    assert prov.sources["gnomad"] == "4.1" and prov.extra["proband"] == "P1"


def test_default_model_loads_with_data_version():
    model = load_model()
    assert model.data_version and model.w_no_fit < 0 < model.w_phenotype


# --- CLI ------------------------------------------------------------------------------------

def _cli_args(paths: dict[str, Path], tmp_path: Path, proband: str = "P1") -> list[str]:
    return ["rank", "--variants", str(paths["variants"]), "--annotations", str(paths["annotations"]),
            "--segregation", str(paths["segregation"]), "--phenotype", str(paths["pheno"]),
            "--proband", proband, "--out-genes", str(tmp_path / "g.parquet"),
            "--out-variants", str(tmp_path / "v.parquet")]


def test_cli_rank_writes_both_tables(tmp_path):
    paths = write_rank_case(tmp_path / "in")
    result = CliRunner().invoke(main, _cli_args(paths, tmp_path))
    assert result.exit_code == 0, result.output
    assert "SCN1A" in result.output
    assert (tmp_path / "g.parquet").exists() and (tmp_path / "v.parquet").exists()


@pytest.mark.parametrize("problem", ["unknown proband", "wrong table", "bad model", "other VCF", "old contract"])
def test_cli_rank_bad_input_is_one_line_exit_2(tmp_path, problem):
    paths = write_rank_case(tmp_path / "in")
    args = _cli_args(paths, tmp_path, proband="NOBODY" if problem == "unknown proband" else "P1")
    if problem == "wrong table":
        args[args.index("--phenotype") + 1] = str(paths["segregation"])
    if problem == "bad model":
        (tmp_path / "m.json").write_text('{"name": "x"}')
        args += ["--model", str(tmp_path / "m.json")]
    if problem == "other VCF":  # annotations of a different VCF: variant_idx points at other variants
        shifted = [dict(v, pos=v["pos"] + 1) for v in _VARIANTS]
        args[args.index("--annotations") + 1] = str(write_rank_case(tmp_path / "other", variants=shifted)["annotations"])
    if problem == "old contract":  # annotations written before p_synonymous existed
        import pyarrow.parquet as pq

        old = pq.read_table(paths["annotations"])
        pq.write_table(old.drop_columns(["p_synonymous"]), paths["annotations"])
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "error:" in result.output and "Traceback" not in result.output
    if problem == "old contract":
        assert "lacks column(s) p_synonymous" in result.output and "re-run" in result.output
    assert [line for line in result.output.splitlines() if "error" in line][0].startswith("variantprio: error: ")
    assert not (tmp_path / "g.parquet").exists()


def test_conditional_fit_recovers_the_weights_that_pick_each_cases_gene_and_round_trips(tmp_path):
    from variantprio.rank import fit_conditional, model_features, save_model

    # 400 cases of 30 candidate genes; within each case the causal gene is drawn with probability
    # softmax(1.5 logit(pheno) + 1.0 logit(variant) + 1.2 de_novo - 3 no_fit).
    rng = np.random.default_rng(3)
    n_cases, per_case = 400, 30
    n = n_cases * per_case
    pheno, variant = rng.uniform(0.01, 0.99, n), rng.uniform(0.01, 0.99, n)
    de_novo, segregates = rng.random(n) < 0.1, rng.random(n) < 0.7
    x = model_features(pheno, variant, de_novo, segregates)
    case = np.repeat(np.arange(n_cases), per_case)
    eta = (x @ np.array([1.5, 1.0, 1.2, -3.0])).reshape(n_cases, per_case)
    prob = np.exp(eta - eta.max(axis=1, keepdims=True))
    prob /= prob.sum(axis=1, keepdims=True)
    pick = np.array([rng.choice(per_case, p=row) for row in prob])
    causal = np.zeros(n, bool)
    causal[np.arange(n_cases) * per_case + pick] = True
    model = fit_conditional(x, causal, case, "fitted", "dev-2026")
    assert model.w_phenotype == pytest.approx(1.5, abs=0.3) and model.w_variant == pytest.approx(1.0, abs=0.3)
    assert model.w_no_fit < -1.5 and model.w_de_novo > 0.5
    # The intercept makes the combined scores add up to one causal gene per case.
    linear = x @ np.array([model.w_phenotype, model.w_variant, model.w_de_novo, model.w_no_fit])
    assert model.combined(model.intercept + linear).sum() == pytest.approx(n_cases, rel=1e-3)
    loaded = load_model(save_model(model, tmp_path / "m.json"))
    assert loaded == model


def test_acmg_tags_for_common_benign_variant(tmp_path):
    _, ranked = run_rank_case(tmp_path)
    ttn = ranked[ranked["gene_symbol"] == "TTN"].iloc[0]
    codes = {t.split(":")[0] for t in ttn["acmg_tags"]}
    assert {"BS1", "BP4", "BP6"} <= codes and "PM2_Supporting" not in codes


def test_x_linked_fits_are_allowed_for_any_mode_label_of_an_x_gene():
    from variantprio.rank.combine import allowed_mode_columns

    allowed = allowed_mode_columns(pd.Series([["AD"], ["AR"], [], ["MT"], ["XD"]]))
    columns = ["allowed_AD", "allowed_AR", "allowed_XR", "allowed_XD"]
    assert allowed.loc[0, columns].tolist() == [True, False, True, True]
    assert allowed.loc[1, columns].tolist() == [False, True, True, True]
    assert allowed.loc[4, columns].tolist() == [False, False, True, True]  # carrier mother: XR fit counts
    assert allowed.loc[2].all()  # unknown modes: anything goes
    assert allowed.loc[3].tolist() == [False, False, False, False, True]  # AD, AR, XR, XD, MT


def test_pm2_needs_population_data():
    from variantprio.rank.acmg import tag_masks

    pm2 = "PM2_Supporting: absent or ultra-rare in population data"
    without_source = pd.DataFrame({"gnomad_af": [np.nan, np.nan], "gnomad_popmax_af": [np.nan, np.nan]})
    assert not tag_masks(without_source)[pm2].any()  # no frequency anywhere: no source was used
    with_source = pd.DataFrame({"gnomad_af": [np.nan, 0.2], "gnomad_popmax_af": [np.nan, 0.3]})
    assert tag_masks(with_source)[pm2].tolist() == [True, False]


def test_codon_position_priors_set_the_severity_of_fasta_less_coding_snvs():
    from variantprio.rank.variant_score import SO_SEVERITY, consequence_severity

    consequence = pd.Series(["coding_sequence_variant", "coding_sequence_variant", "coding_sequence_variant",
                             "splice_region_variant", "splice_region_variant", "missense_variant"])
    impact = pd.Series(["MODIFIER", "MODIFIER", "MODIFIER", "LOW", "LOW", "MODERATE"])
    p_syn = pd.Series([1.0, 0.0, None, 0.0, 1.0, None], dtype="float32")
    p_stop = pd.Series([0.0, 0.12, None, 0.0, 0.0, None], dtype="float32")
    got = consequence_severity(consequence, impact, p_syn, p_stop)
    assert got[0] == pytest.approx(SO_SEVERITY["synonymous_variant"])  # third-base transition
    assert got[1] == pytest.approx(0.88 * SO_SEVERITY["missense_variant"] + 0.12 * SO_SEVERITY["stop_gained"])
    assert got[2] == SO_SEVERITY["coding_sequence_variant"]  # no prior: the placeholder stays
    assert got[3] == pytest.approx(SO_SEVERITY["missense_variant"])  # a prior can raise a splice-region call
    assert got[4] == SO_SEVERITY["splice_region_variant"]  # ... but never lower it
    assert got[5] == SO_SEVERITY["missense_variant"]
    assert got[1] > SO_SEVERITY["coding_sequence_variant"] > got[0]


def _frameshift(pos: int, ref: str, alt: str, gene: str, zyg: list[int]) -> dict:
    return dict(chrom="chr21", pos=pos, ref=ref, alt=alt, gene=gene, consequence="frameshift_variant",
                impact="HIGH", hgvs_p=None, af=None, hom=None, clinvar=None, stars=None, cadd=None, revel=None,
                zyg=zyg, seg=dict(fits_ar_hom=True, fits_ad=True), pli=None, loeuf=None)


def test_frameshift_pair_that_restores_the_frame_is_scored_in_frame(tmp_path):
    variants = [
        # SON: +1 and -1 twelve bases apart, both homozygous: together an in-frame change
        _frameshift(33_576_378, "G", "GA", "SON", [2, 1, 1]),
        _frameshift(33_576_390, "GA", "G", "SON", [2, 1, 1]),
        # KMT2B: a lone frameshift stays a loss-of-function candidate
        _frameshift(35_723_730, "A", "AG", "KMT2B", [2, 1, 1]),
        # CFTR: +1 and +1 (net +2, still out of frame) stay frameshifts
        _frameshift(40_000_000, "C", "CT", "CFTR", [2, 1, 1]),
        _frameshift(40_000_010, "G", "GT", "CFTR", [2, 1, 1]),
        # TTN: +1/-1 but one het, one hom (not both in cis on each haplotype): left alone
        _frameshift(41_000_000, "C", "CT", "TTN", [1, 1, 0]),
        _frameshift(41_000_005, "GT", "G", "TTN", [2, 1, 1]),
    ]
    phenotype = [("SON", 0.5, "OMIM:617140", "ZTTK syndrome", ["AD"], []),
                 ("KMT2B", 0.5, "OMIM:617284", "Dystonia 28", ["AD"], []),
                 ("CFTR", 0.5, "OMIM:219700", "Cystic fibrosis", ["AR"], []),
                 ("TTN", 0.5, "OMIM:604145", "Myopathy", ["AD", "AR"], [])]
    genes, ranked = run_rank_case(tmp_path, variants=variants, phenotype=phenotype)
    by_pos = ranked.drop_duplicates("variant_idx").set_index("pos")
    assert by_pos.loc[33_576_378, "frame_restored_by"] == "chr21:33576390:GA>G"
    assert by_pos.loc[33_576_390, "frame_restored_by"] == "chr21:33576378:G>GA"
    assert by_pos.loc[[35_723_730, 40_000_000, 40_000_010, 41_000_000, 41_000_005], "frame_restored_by"].isna().all()
    assert by_pos.loc[33_576_378, "score_consequence"] < by_pos.loc[35_723_730, "score_consequence"]
    assert not any("PVS1" in t for t in by_pos.loc[33_576_378, "acmg_tags"])
    order = genes["gene_symbol"].tolist()
    assert order.index("KMT2B") < order.index("SON")  # equal phenotype: the real LoF wins


def test_posterior_normalises_the_combined_odds_over_the_candidates(tmp_path):
    genes, _ = run_rank_case(tmp_path)
    assert genes["posterior"].sum() == pytest.approx(1.0)
    c = genes["combined_score"].to_numpy()
    odds = c / (1 - c)
    assert genes["posterior"].to_numpy() == pytest.approx(odds / odds.sum())
    assert genes["posterior"].is_monotonic_decreasing  # same order as the rank
    assert genes["posterior"].iloc[0] > 0.5  # the planted de novo frameshift dominates


def test_frame_restoring_clusters_need_one_gene_equal_zygosity_and_short_gaps():
    from variantprio.rank.frame import WINDOW, frame_restoring_partners

    rows = [  # (gene, pos, ref, alt, zygosity)
        ("A", 100, "C", "CT", 1), ("A", 100 + WINDOW, "CT", "C", 1),  # het pair, within the window
        ("B", 500, "C", "CT", 2), ("B", 501 + WINDOW, "CT", "C", 2),  # one base too far apart
        ("C", 900, "C", "CTT", 2), ("C", 905, "G", "GT", 2), ("C", 910, "G", "A", 2),  # +2 +1 (SNV ignored)
        ("D", 1300, "C", "CT", 2), ("E", 1305, "CT", "C", 2),  # overlapping genes: not one cluster
    ]
    cand = pd.DataFrame({"gene_symbol": [r[0] for r in rows], "variant_idx": range(len(rows)),
                         "chrom": "chr1", "pos": [r[1] for r in rows], "ref": [r[2] for r in rows],
                         "alt": [r[3] for r in rows],
                         "consequence": ["missense_variant" if len(r[2]) == len(r[3]) else "frameshift_variant"
                                         for r in rows]})
    got = frame_restoring_partners(cand, np.array([r[4] for r in rows])).tolist()
    assert got[0] == f"chr1:{100 + WINDOW}:CT>C" and got[1] == "chr1:100:C>CT"
    assert got[2] is None and got[3] is None
    assert got[4] == "chr1:905:G>GT" and got[5] == "chr1:900:C>CTT" and got[6] is None
    assert got[7] is None and got[8] is None


@pytest.mark.parametrize("phenotype", ["empty table", "null matched_terms", "no gene in the table"])
def test_no_phenotype_match_matched_terms_float64_crash(tmp_path, phenotype):
    """Regression: with no phenotype match for any ranked gene the all-missing matched_terms column
    became float64 in pandas and writing genes.parquet raised ArrowNotImplementedError."""
    rows = {"empty table": [],
            "null matched_terms": [(g, s, d, n, m, None) for g, s, d, n, m, _ in _PHENOTYPE],
            "no gene in the table": [("KCNQ2", 0.9, "OMIM:613720", "Epileptic encephalopathy", ["AD"], [])]}
    genes, ranked = run_rank_case(tmp_path, phenotype=rows[phenotype])
    assert len(genes) == 5 and genes["matched_terms"].isna().all()
    assert genes["gene_symbol"].iloc[0] == "SCN1A" and len(ranked) == 6


def test_acmg_tags_combine_into_a_points_based_pre_classification():
    from variantprio.rank.acmg import classify_tags, criterion_points

    assert [criterion_points(c) for c in ("PVS1", "PS1/PM5", "PM3", "PM2_Supporting", "PP3", "BS1", "BP4")] == \
        [8, 4, 2, 1, 1, -4, -1]
    assert classify_tags(["PVS1: lof", "PS2: de novo", "PM2_Supporting: rare"]).classification == "Pathogenic"
    assert classify_tags(["PVS1: lof"]).classification == "Likely pathogenic"
    assert classify_tags(["PM2_Supporting: rare", "PP3: damaging"]).classification == "Uncertain significance"
    assert classify_tags(["BS1: 1%", "BP4: benign", "BP6: clinvar"]).classification == "Likely benign"
    assert classify_tags(["BA1: 5%", "PVS1: lof"]).classification == "Benign"
    assert classify_tags(None).criteria == () and classify_tags(["PP3: x"]).criteria == ("PP3 (+1)",)


def test_fit_rank_cross_validates_every_case_once_and_chooses_a_prior(tmp_path):
    from variantprio.bench.analyse.fit_rank import Candidates, cross_validated, fit_rank_model
    from variantprio.rank import load_model

    # 60 cases of 8 genes: the causal gene has the best phenotype and a good variant score.
    rng = np.random.default_rng(5)
    rows = []
    for c in range(60):
        for g in range(8):
            causal = g == 0
            rows.append({"case": f"case{c}", "gene_symbol": f"G{g}", "causal": causal,
                         "phenotype_score": 0.5 if causal else rng.uniform(0.0, 0.3),
                         "variant_score": 0.9 if causal else rng.uniform(0.0, 1.0),
                         "de_novo": False, "segregates": True})
    candidates = Candidates(pd.DataFrame(rows))
    held_out = cross_validated(candidates, 1e-5, load_model(), k=5)
    assert sorted(held_out.index) == sorted(f"case{c}" for c in range(60))
    assert (held_out == 1).mean() > 0.9
    model, report = fit_rank_model(candidates, "synthetic", folds=5)
    assert model.w_phenotype > 0 and any("cross-validated" in key for key in report)
    assert report["fitted, in sample"]["top1"] > 0.9


@pytest.mark.parametrize("cross_species", ["held", "all"])
def test_fit_rank_learns_a_mouse_weight_when_the_mouse_finds_unannotated_genes(cross_species):
    """Half the cases' genes have no human phenotype (the missing prior) but the best mouse match;
    a positive mouse weight lifts them, and 'held' keeps the four shipped weights."""
    from variantprio.bench.analyse.fit_rank import Candidates, case_ranks, fit_rank_model
    from variantprio.rank import load_model

    rng = np.random.default_rng(7)
    rows = []
    for c in range(80):
        novel = c % 2 == 0
        for g in range(10):
            causal = g == 0
            rows.append({"case": f"case{c}", "gene_symbol": f"G{g}", "causal": causal,
                         "phenotype_score": None if causal and novel else rng.uniform(0.0, 0.2) + 0.6 * causal,
                         "variant_score": 0.8, "de_novo": False, "segregates": True,
                         "mouse_score": 6.0 + rng.uniform(0, 2) if causal else rng.uniform(-2, 3),
                         "network_score": np.nan})
    candidates = Candidates(pd.DataFrame(rows))
    model, report = fit_rank_model(candidates, "synthetic", folds=4, cross_species=cross_species)
    assert model.w_mouse > 0.3
    assert report["fitted, in sample"]["top1"] > report["current"]["top1"] + 0.3
    assert (case_ranks(candidates, model)[[f"case{c}" for c in range(0, 80, 2)]] == 1).mean() > 0.8
    if cross_species == "held":
        shipped = load_model()
        assert (model.w_phenotype, model.w_variant, model.w_no_fit) == (shipped.w_phenotype, shipped.w_variant,
                                                                        shipped.w_no_fit)

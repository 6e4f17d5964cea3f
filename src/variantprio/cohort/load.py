"""`cohort add`: load results directories into the cohort database, all or nothing.

Idempotent: a callset (a VCF's genotypes) and an analysis (a proband's ranked results) are keyed
by a fingerprint of their content, so adding the same results again changes nothing, while a
re-analysis of a sample (new HPO release, new data, new tool version) adds a new analysis row and
keeps the old one. Every table is loaded in bulk from Arrow; the in-house frequencies are
recomputed at the end of the same transaction.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from ..core.pedigree import Family
from . import frequencies
from .results import Callset, ProbandResults, find_probands, read_callset
from .schema import next_id, now_utc
from .store import Store

log = logging.getLogger(__name__)

_KEY_MATCH = "v.chrom = s.chrom AND v.pos = s.pos AND v.ref = s.ref AND v.alt = s.alt"


@dataclass
class AddSummary:
    analyses_added: list[str] = field(default_factory=list)
    analyses_present: list[str] = field(default_factory=list)
    callsets_added: int = 0
    genotypes_added: int = 0

    def lines(self) -> list[str]:
        return [f"analyses added: {len(self.analyses_added)} ({', '.join(self.analyses_added) or '-'})",
                f"already in the database (unchanged): {len(self.analyses_present)}",
                f"callsets added: {self.callsets_added}, genotypes: {self.genotypes_added:,}"]


def add_results(store: Store, results_dirs: list[Path], *, samples_tsv: Path | None = None,
                only: list[str] | None = None, capture: str = "default") -> AddSummary:
    """Check every proband of every directory first, then load them in one transaction."""
    probands = [p for d in results_dirs for p in find_probands(Path(d), samples_tsv, only)]
    callsets: dict[Path, Callset] = {}
    for proband in probands:
        if proband.callset_path not in callsets:
            callsets[proband.callset_path] = read_callset(proband.callset_path, proband.callset_name)
    summary = AddSummary()
    with store.transaction():
        store.serialise_writers()
        callset_ids: dict[Path, int] = {}
        for proband in probands:
            _upsert_family(store, proband.family)
            callset = callsets[proband.callset_path]
            if proband.callset_path not in callset_ids:
                callset_ids[proband.callset_path] = _callset_id(store, callset, proband.family, capture, summary)
            _add_analysis(store, proband, callset, callset_ids[proband.callset_path], summary)
        if summary.analyses_added or summary.callsets_added:
            frequencies.refresh(store)
    return summary


def _upsert_family(store: Store, family: Family) -> None:
    """Insert new members; the latest PED wins for family, parents, sex and affected status."""
    members = list(family)
    table = pa.table({
        "sample_id": [m.id for m in members], "family_id": [family.family_id] * len(members),
        "father_id": [m.father for m in members], "mother_id": [m.mother for m in members],
        "sex": pa.array([m.sex for m in members], pa.int16()),
        "affected": pa.array([m.affected for m in members], pa.bool_())})
    store.stage("st_member", table)
    try:
        store.execute("""UPDATE sample SET family_id = s.family_id, father_id = s.father_id,
                mother_id = s.mother_id, sex = s.sex, affected = s.affected, updated_at = $1
            FROM st_member s WHERE sample.sample_id = s.sample_id AND (
                sample.family_id IS DISTINCT FROM s.family_id OR sample.father_id IS DISTINCT FROM s.father_id
                OR sample.mother_id IS DISTINCT FROM s.mother_id OR sample.sex IS DISTINCT FROM s.sex
                OR sample.affected IS DISTINCT FROM s.affected)""", (now_utc(),))
        store.execute("""INSERT INTO sample SELECT nextval('id_seq'), s.sample_id, s.family_id, s.father_id,
                s.mother_id, s.sex, s.affected, $1
            FROM st_member s WHERE NOT EXISTS (SELECT 1 FROM sample x WHERE x.sample_id = s.sample_id)""",
                      (now_utc(),))
    finally:
        store.unstage("st_member")


def insert_variants(store: Store, staged: str) -> None:
    """Add the keys of a staged table (chrom, pos, ref, alt, region) that the database lacks."""
    store.execute(f"""INSERT INTO variant SELECT nextval('variant_seq'), s.chrom, s.pos, s.ref, s.alt, s.region
        FROM (SELECT DISTINCT chrom, pos, ref, alt, region FROM {staged}) s
        WHERE NOT EXISTS (SELECT 1 FROM variant v WHERE {_KEY_MATCH})""")


def _callset_id(store: Store, callset: Callset, family: Family, capture: str, summary: AddSummary) -> int:
    existing = store.scalar("SELECT callset_id FROM callset WHERE fingerprint = $1", (callset.fingerprint,))
    if existing is not None:
        return int(existing)
    callset_id = next_id(store)
    members = [s for s in callset.samples if s in family]
    others = [s for s in callset.samples if s not in family]
    if others:
        log.warning("callset %s: sample(s) %s are not in the family of %s in the PED: their genotypes are "
                    "not stored", callset.name, ", ".join(others), family.family_id)
    store.execute("INSERT INTO callset VALUES ($1, $2, $3, $4, $5, $6, $7)",
                  (callset_id, callset.fingerprint, callset.name, capture, callset.genome_build,
                   callset.variants.num_rows, now_utc()))
    variants = callset.variants.append_column("row", pa.array(range(callset.variants.num_rows), pa.int64()))
    genotypes = callset.genotypes.filter(pc.is_in(callset.genotypes.column("sample_id").cast(pa.string()),
                                                  pa.array(members, pa.string())))
    store.stage("st_variant", variants)
    store.stage("st_genotype", genotypes)
    try:
        insert_variants(store, "st_variant")
        store.execute(f"""INSERT INTO variant_capture SELECT DISTINCT v.variant_id, CAST($1 AS TEXT)
            FROM st_variant s JOIN variant v ON {_KEY_MATCH}
            WHERE NOT EXISTS (SELECT 1 FROM variant_capture c WHERE c.variant_id = v.variant_id AND c.capture = $1)""",
                      (capture,))
        store.execute("""INSERT INTO callset_sample SELECT DISTINCT CAST($1 AS INTEGER), m.sample_key
            FROM st_genotype g JOIN sample m ON m.sample_id = g.sample_id""", (callset_id,))
        store.execute(f"""INSERT INTO genotype
            SELECT CAST($1 AS INTEGER), m.sample_key, v.variant_id, max(g.zyg)
            FROM st_genotype g JOIN st_variant s ON s."row" = g."row"
            JOIN variant v ON {_KEY_MATCH} JOIN sample m ON m.sample_id = g.sample_id
            GROUP BY m.sample_key, v.variant_id""", (callset_id,))
    finally:
        store.unstage("st_variant")
        store.unstage("st_genotype")
    summary.callsets_added += 1
    summary.genotypes_added += genotypes.num_rows
    return callset_id


def _add_analysis(store: Store, proband: ProbandResults, callset: Callset, callset_id: int,
                  summary: AddSummary) -> None:
    fingerprint = proband.fingerprint(callset.fingerprint)
    sample_key = store.scalar("SELECT sample_key FROM sample WHERE sample_id = $1", (proband.sample_id,))
    if store.scalar("SELECT analysis_id FROM analysis WHERE sample_key = $1 AND fingerprint = $2",
                    (sample_key, fingerprint)) is not None:
        summary.analyses_present.append(proband.sample_id)
        return
    analysis_id = next_id(store)
    prov = proband.provenance
    store.execute("INSERT INTO analysis VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                  (analysis_id, sample_key, fingerprint, callset_id, now_utc(), proband.analysed_at,
                   prov.tool_version, prov.genome_build, proband.hpo_version,
                   json.dumps(prov.sources, sort_keys=True), proband.config_sha256,
                   str(proband.results_dir.resolve())))
    terms = proband.terms
    store.stage("st_term", pa.table({"term_id": pa.array([t for t, _ in terms], pa.string()),
                                     "excluded": pa.array([e for _, e in terms], pa.bool_())}))
    store.stage("st_gene", proband.genes)
    store.stage("st_ranked", proband.ranked)  # candidates are rows of the callset (structural variants aside)
    try:
        store.execute("INSERT INTO analysis_term SELECT CAST($1 AS INTEGER), term_id, excluded FROM st_term",
                      (analysis_id,))
        store.execute("""INSERT INTO analysis_gene SELECT CAST($1 AS INTEGER), rank, gene_symbol, combined_score,
            posterior, phenotype_score, variant_score, mode, best_variant, disease_id, disease_name FROM st_gene""",
                      (analysis_id,))
        store.execute(f"""INSERT INTO analysis_variant SELECT CAST($1 AS INTEGER), v.variant_id, s.gene_symbol,
            s.gene_rank, s.variant_score, s.consequence, s.hgvs_c, s.hgvs_p, s.is_best
            FROM st_ranked s JOIN variant v ON {_KEY_MATCH}""", (analysis_id,))
    finally:
        for name in ("st_term", "st_gene", "st_ranked"):
            store.unstage(name)
    summary.analyses_added.append(proband.sample_id)

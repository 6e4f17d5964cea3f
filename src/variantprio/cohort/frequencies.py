"""In-house allele frequencies, counted over unrelated individuals only.

Who counts: every person once (their most recent callset, however many batches sequenced them),
and per family its sequenced founders (members without parents in the PED); a family with no
sequenced founder counts one sequenced member (the first by sample ID). Children of counted
founders share their alleles and are never counted.

Ploidy: 2 on autosomes and in the PARs, 1 on chrM; on chrX outside the PARs 1 for males and 2 for
females; on chrY 1 for males. A person of unknown sex counts on neither X nor Y outside the PARs.

A site absent from a counted person's VCF (`absent` policy):
  reference  hom-ref, when a callset of the same capture kit has a record there (the site was
             targeted by that kit); otherwise the person does not count at the site. The default.
  called     not counted: only genotypes present in the person's VCF count (no-calls never do).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .. import __version__
from ..errors import InputError
from ..tables import atomic_path
from .store import Store

ABSENT_POLICIES = ("reference", "called")
FREQUENCY_COLUMNS = ["chrom", "pos", "ref", "alt", "ac", "an", "af", "n_hom", "n_hemi"]

_PLOIDY = """(CASE v.region WHEN 0 THEN 2 WHEN 3 THEN 1
    WHEN 1 THEN (CASE c.sex WHEN 1 THEN 1 WHEN 2 THEN 2 ELSE 0 END)
    ELSE (CASE c.sex WHEN 1 THEN 1 ELSE 0 END) END)"""

# The unrelated individuals, one row each with the callset their genotypes come from.
_COUNTED = """
latest AS (
    SELECT sample_key, max(callset_id) AS callset_id FROM callset_sample GROUP BY sample_key),
sequenced AS (
    SELECT s.sample_key, s.sample_id, s.family_id, s.sex, l.callset_id, k.capture,
           (s.father_id IS NULL AND s.mother_id IS NULL) AS founder
    FROM sample s JOIN latest l ON l.sample_key = s.sample_key
    JOIN callset k ON k.callset_id = l.callset_id
    {family_filter}),
families AS (
    SELECT family_id, bool_or(founder) AS has_founder, min(sample_id) AS first_id
    FROM sequenced GROUP BY family_id),
counted AS (
    SELECT q.* FROM sequenced q JOIN families f ON f.family_id = q.family_id
    WHERE (f.has_founder AND q.founder) OR (NOT f.has_founder AND q.sample_id = f.first_id))"""

_COUNTS = """
WITH {prelude}{counted},
regions AS (SELECT r AS region FROM (VALUES (0), (1), (2), (3)) AS t(r)),
kit_ploidy AS (
    SELECT c.capture, v.region, sum({ploidy}) AS an_full
    FROM counted c CROSS JOIN regions v GROUP BY c.capture, v.region),
gt AS (
    SELECT g.variant_id,
        sum(CASE WHEN g.zyg > 0 AND {ploidy} > 0 THEN least(CASE WHEN g.zyg = 2 THEN 2 ELSE 1 END, {ploidy})
                 ELSE 0 END) AS ac,
        sum(CASE WHEN g.zyg >= 0 THEN {ploidy} ELSE 0 END) AS an_called,
        sum(CASE WHEN g.zyg < 0 THEN {ploidy} ELSE 0 END) AS nocall,
        sum(CASE WHEN g.zyg = 2 AND {ploidy} = 2 THEN 1 ELSE 0 END) AS n_hom,
        sum(CASE WHEN g.zyg IN (2, 3) AND {ploidy} = 1 AND v.region IN (1, 2) THEN 1 ELSE 0 END) AS n_hemi
    FROM genotype g
    JOIN counted c ON c.callset_id = g.callset_id AND c.sample_key = g.sample_key
    JOIN variant v ON v.variant_id = g.variant_id
    {variant_join}
    GROUP BY g.variant_id),
targeted AS (
    SELECT vc.variant_id, sum(kp.an_full) AS an_full
    FROM variant_capture vc JOIN variant v ON v.variant_id = vc.variant_id
    JOIN kit_ploidy kp ON kp.capture = vc.capture AND kp.region = v.region
    {capture_join}
    GROUP BY vc.variant_id)
SELECT t.variant_id,
    CAST(coalesce(gt.ac, 0) AS INTEGER) AS ac,
    CAST(t.an_full - coalesce(gt.nocall, 0) AS INTEGER) AS an_reference,
    CAST(coalesce(gt.an_called, 0) AS INTEGER) AS an_called,
    CAST(coalesce(gt.n_hom, 0) AS INTEGER) AS n_hom,
    CAST(coalesce(gt.n_hemi, 0) AS INTEGER) AS n_hemi
FROM targeted t LEFT JOIN gt ON gt.variant_id = t.variant_id"""


def counts_sql(*, only_staged_variants: bool = False, exclude_staged_families: bool = False) -> str:
    """Per variant: ac, an_reference, an_called, n_hom, n_hemi over the unrelated individuals.

    Optionally only the variants whose keys a staged table `wanted_key(chrom, pos, ref, alt)`
    lists, and without the families of the samples a staged table `excluded_sample(sample_id)`
    lists. The fragments are fixed text; values only ever arrive through the staged tables."""
    prelude = ""
    if only_staged_variants:
        prelude += ("wanted_variant AS (SELECT DISTINCT v.variant_id FROM variant v JOIN wanted_key k "
                    "ON k.chrom = v.chrom AND k.pos = v.pos AND k.ref = v.ref AND k.alt = v.alt),\n")
    if exclude_staged_families:
        prelude += ("excluded_family AS (SELECT DISTINCT s.family_id FROM sample s "
                    "JOIN excluded_sample e ON e.sample_id = s.sample_id),\n")
    family_filter = ("WHERE s.family_id NOT IN (SELECT family_id FROM excluded_family)"
                     if exclude_staged_families else "")
    variant_join = "JOIN wanted_variant w ON w.variant_id = g.variant_id" if only_staged_variants else ""
    capture_join = "JOIN wanted_variant w ON w.variant_id = vc.variant_id" if only_staged_variants else ""
    counted = _COUNTED.format(family_filter=family_filter)
    return _COUNTS.format(prelude=prelude, counted=counted, ploidy=_PLOIDY, variant_join=variant_join, capture_join=capture_join)


def refresh(store: Store) -> None:
    """Recompute the stored cohort-wide counts (inside the caller's transaction)."""
    store.execute("DELETE FROM frequency")
    store.execute(f"INSERT INTO frequency {counts_sql()}")


def counted_individuals(store: Store, exclude_samples: list[str] | tuple = ()) -> pa.Table:
    """sample_id, family_id, sex and callset of every individual the frequencies count (without
    the families of `exclude_samples`)."""
    store.stage("excluded_sample", pa.table({"sample_id": pa.array(list(exclude_samples), pa.string())}))
    try:
        counted = _COUNTED.format(family_filter="WHERE s.family_id NOT IN (SELECT family_id FROM excluded_family)")
        return store.arrow("WITH excluded_family AS (SELECT DISTINCT s.family_id FROM sample s JOIN excluded_sample e "
                           f"ON e.sample_id = s.sample_id), {counted} "
                           "SELECT sample_id, family_id, sex, callset_id FROM counted ORDER BY sample_id")
    finally:
        store.unstage("excluded_sample")


def _an_column(absent: str) -> str:
    if absent not in ABSENT_POLICIES:
        raise InputError(f"unknown policy for absent sites {absent!r}", hint=f"one of {', '.join(ABSENT_POLICIES)}")
    return "an_reference" if absent == "reference" else "an_called"


def _with_af(select: str) -> str:
    return f"""SELECT chrom, pos, ref, alt, ac, an,
        CASE WHEN an > 0 THEN CAST(ac AS DOUBLE PRECISION) / an END AS af, n_hom, n_hemi
        FROM ({select}) AS x WHERE an > 0"""


def cohort_frequencies(store: Store, absent: str = "reference") -> pa.Table:
    """The stored counts as the export table (FREQUENCY_COLUMNS), sorted by position."""
    an = _an_column(absent)
    table = store.arrow(_with_af(f"""SELECT v.chrom, v.pos, v.ref, v.alt, f.ac, f.{an} AS an, f.n_hom, f.n_hemi
        FROM frequency f JOIN variant v ON v.variant_id = f.variant_id""") + " ORDER BY chrom, pos, ref, alt")
    return _typed(table)


def _typed(table: pa.Table) -> pa.Table:
    types = {"chrom": pa.string(), "pos": pa.int64(), "ref": pa.string(), "alt": pa.string(), "ac": pa.int32(),
             "an": pa.int32(), "af": pa.float64(), "n_hom": pa.int32(), "n_hemi": pa.int32()}
    return pa.table({name: table.column(name).cast(types[name]) for name in FREQUENCY_COLUMNS})


def lookup(store: Store, chrom: str, pos: int, ref: str, alt: str, absent: str = "reference") -> dict | None:
    """One variant's stored counts (indexed: milliseconds at any cohort size); None if unseen."""
    an = _an_column(absent)
    rows = store.arrow(_with_af(f"""SELECT v.chrom, v.pos, v.ref, v.alt, f.ac, f.{an} AS an, f.n_hom, f.n_hemi
        FROM variant v JOIN frequency f ON f.variant_id = v.variant_id
        WHERE v.chrom = $1 AND v.pos = $2 AND v.ref = $3 AND v.alt = $4"""), (chrom, int(pos), ref, alt)).to_pylist()
    return rows[0] if rows else None


def frequencies_for(store: Store, keys: pa.Table, exclude_samples: list[str], absent: str = "reference"
                    ) -> pa.Table:
    """Counts for the given variant keys (chrom, pos, ref, alt) without the families of
    `exclude_samples` (the proband's family must not count towards its own frequencies)."""
    an = _an_column(absent)
    store.stage("wanted_key", keys.select(["chrom", "pos", "ref", "alt"]))
    store.stage("excluded_sample", pa.table({"sample_id": pa.array(exclude_samples, pa.string())}))
    try:
        sql = counts_sql(only_staged_variants=True, exclude_staged_families=True)
        table = store.arrow(_with_af(f"""SELECT v.chrom, v.pos, v.ref, v.alt, f.ac, f.{an} AS an, f.n_hom, f.n_hemi
            FROM ({sql}) AS f JOIN variant v ON v.variant_id = f.variant_id"""))
    finally:
        store.unstage("wanted_key")
        store.unstage("excluded_sample")
    return _typed(table)


def write_frequencies(table: pa.Table, out: Path, metadata: dict[str, str]) -> Path:
    """The export Parquet (written to a temp file, then renamed), with what it counted in metadata."""
    meta = {f"variantprio.{k}": v for k, v in {"schema": "inhouse_frequencies", "version": __version__,
                                                **metadata}.items()}
    with atomic_path(out) as tmp:
        pq.write_table(table.replace_schema_metadata(meta), tmp, compression="zstd")
    return Path(out)

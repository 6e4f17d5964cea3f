"""Interpretation history: decisions recorded per sample and variant (never overwritten), and the
re-analysis changes of each sample (candidates new to, or moved into, the top 10)."""

from __future__ import annotations

import re
from datetime import date, datetime

import pyarrow as pa

from ..core.samples import missing_message
from ..errors import InputError
from .schema import next_id, now_utc
from .store import Store

CLASSES = ("pathogenic", "likely_pathogenic", "vus", "likely_benign", "benign", "not_causal")
SOLVED_CLASSES = ("pathogenic", "likely_pathogenic")
TOP = 10
_VARIANT_ID = re.compile(r"^(?:chr)?([0-9]{1,2}|X|Y|M|MT):([0-9]+):([ACGTN]+):([ACGTN]+)$", re.I)


def parse_variant_id(text: str) -> tuple[str, int, str, str]:
    """chr:pos:ref:alt (chr prefix optional, bases A/C/G/T/N) as the database keys it."""
    m = _VARIANT_ID.match(text.strip())
    if not m or int(m.group(2)) < 1:
        raise InputError(f"malformed variant ID {text!r}", where="--variant",
                         hint="write chrom:pos:ref:alt, e.g. chr7:117559590:G:A")
    chrom = m.group(1).upper()
    chrom = "chrM" if chrom in ("M", "MT") else f"chr{chrom}"
    return chrom, int(m.group(2)), m.group(3).upper(), m.group(4).upper()


def record_review(store: Store, sample: str, variant: str, klass: str, note: str, author: str) -> int:
    """Add one decision (with time and author); checks first, so a bad request changes nothing."""
    chrom, pos, ref, alt = parse_variant_id(variant)
    if klass not in CLASSES:
        raise InputError(f"unknown class {klass!r}", where="--class", hint=f"one of {', '.join(CLASSES)}")
    if not author.strip():
        raise InputError("empty author", where="--by", hint="name who made the decision")
    sample_key = store.scalar("SELECT sample_key FROM sample WHERE sample_id = $1", (sample,))
    if sample_key is None:
        known = [r[0] for r in store.rows("SELECT sample_id FROM sample")]
        raise InputError(missing_message(sample, "the cohort database", known), where="--sample",
                         hint="add the sample's results first (`variantprio cohort add`)")
    variant_id = store.scalar("""SELECT DISTINCT g.variant_id FROM genotype g JOIN variant v ON v.variant_id = g.variant_id
        WHERE g.sample_key = $1 AND g.zyg > 0 AND v.chrom = $2 AND v.pos = $3 AND v.ref = $4 AND v.alt = $5""",
                              (sample_key, chrom, pos, ref, alt))
    if variant_id is None:
        raise InputError(f"sample {sample} carries no variant {chrom}:{pos}:{ref}:{alt} in the cohort database",
                         where="--variant", hint="check the variant against the sample's report")
    with store.transaction():
        store.serialise_writers()
        analysis_id = store.scalar("SELECT max(analysis_id) FROM analysis WHERE sample_key = $1", (sample_key,))
        review_id = next_id(store)
        store.execute("INSERT INTO review VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                      (review_id, sample_key, variant_id, klass, note, author.strip(), now_utc(), analysis_id))
    return review_id


def decisions(store: Store, keys: pa.Table) -> pa.Table:
    """Every recorded decision on the given variants (chrom, pos, ref, alt), in any sample, oldest
    first: for the report's 'earlier decisions'."""
    store.stage("decision_key", keys.select(["chrom", "pos", "ref", "alt"]))
    try:
        return store.arrow("""SELECT DISTINCT v.chrom, v.pos, v.ref, v.alt, s.sample_id, r.class, r.note, r.author,
                r.reviewed_at
            FROM review r JOIN variant v ON v.variant_id = r.variant_id JOIN sample s ON s.sample_key = r.sample_key
            JOIN decision_key k ON k.chrom = v.chrom AND k.pos = v.pos AND k.ref = v.ref AND k.alt = v.alt
            ORDER BY r.reviewed_at, s.sample_id""")
    finally:
        store.unstage("decision_key")


# Per analysis: the sample's previous analysis (the one added just before it).
_PREVIOUS = """
ordered AS (
    SELECT a.analysis_id, a.sample_key, a.added_at, a.hpo_version, a.tool_version,
           lag(a.analysis_id) OVER (PARTITION BY a.sample_key ORDER BY a.analysis_id) AS previous_id
    FROM analysis a)"""

CHANGES_SQL = f"""
WITH {_PREVIOUS},
solved AS (
    SELECT DISTINCT r.sample_key FROM review r
    WHERE r.review_id = (SELECT max(x.review_id) FROM review x
                         WHERE x.sample_key = r.sample_key AND x.variant_id = r.variant_id)
      AND r.class IN ('pathogenic', 'likely_pathogenic'))
SELECT s.sample_id, o.analysis_id, o.added_at, o.hpo_version, o.tool_version, g.gene_symbol, g.rank,
       p.rank AS previous_rank,
       CASE WHEN p.gene_symbol IS NULL THEN 'new' ELSE 'moved_into_top' END AS change,
       (sv.sample_key IS NOT NULL) AS solved
FROM ordered o
JOIN sample s ON s.sample_key = o.sample_key
JOIN analysis_gene g ON g.analysis_id = o.analysis_id AND g.rank <= {TOP}
LEFT JOIN analysis_gene p ON p.analysis_id = o.previous_id AND p.gene_symbol = g.gene_symbol
LEFT JOIN solved sv ON sv.sample_key = o.sample_key
WHERE o.previous_id IS NOT NULL AND (p.gene_symbol IS NULL OR p.rank > {TOP}) AND o.added_at >= $1
ORDER BY o.added_at, s.sample_id, g.rank"""


def changes(store: Store, since: date | datetime | None = None) -> pa.Table:
    """Re-analysis changes across the cohort: per analysis that has a predecessor for its sample,
    every top-10 gene that is new or was ranked below 10 before; `solved` marks samples with a
    (likely) pathogenic decision as their latest word on a variant."""
    start = datetime.combine(since, datetime.min.time()) if isinstance(since, date) and not isinstance(
        since, datetime) else (since or datetime(1970, 1, 1))
    return store.arrow(CHANGES_SQL, (start,))


def decisions_by_variant(db: str, variants) -> dict[tuple, list[dict]]:
    """(chrom, pos, ref, alt) -> the decisions recorded on it, for the report (read-only)."""
    from pathlib import Path

    from .schema import open_cohort
    from .store import is_postgres

    if not is_postgres(db) and not Path(db).exists():
        return {}  # no database yet (a first batch): nothing was decided before
    keys = pa.table({c: pa.array(list(variants[c]) if len(variants) else [],
                                 pa.int64() if c == "pos" else pa.string()) for c in ("chrom", "pos", "ref", "alt")})
    with open_cohort(db, write=False) as store:
        rows = decisions(store, keys).to_pylist()
    out: dict[tuple, list[dict]] = {}
    for row in rows:
        row["reviewed_at"] = str(row["reviewed_at"])[:16]
        out.setdefault((row["chrom"], row["pos"], row["ref"], row["alt"]), []).append(row)
    return out

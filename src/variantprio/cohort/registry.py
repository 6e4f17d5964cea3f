"""Queries for the registry: user SQL run read-only, the documented views, Parquet snapshots."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .. import __version__
from ..errors import InputError
from ..tables import atomic_path
from .schema import SCHEMA_VERSION
from .store import Store

# Views every query may use (prefixed to the user's SQL as common table expressions, so they need
# no write access and are the same on both engines). Documented in the README.
VIEWS = {
    "samples_per_term": """SELECT t.term_id, count(DISTINCT a.sample_key) AS n_samples
        FROM analysis_term t JOIN analysis a ON a.analysis_id = t.analysis_id
        WHERE NOT t.excluded GROUP BY t.term_id""",
    "carriers": """SELECT v.chrom, v.pos, v.ref, v.alt, s.sample_id, s.family_id, g.zyg
        FROM genotype g JOIN variant v ON v.variant_id = g.variant_id
        JOIN sample s ON s.sample_key = g.sample_key WHERE g.zyg > 0""",
    "gene_carriers": """SELECT DISTINCT av.gene_symbol, v.chrom, v.pos, v.ref, v.alt, s.sample_id, s.family_id
        FROM analysis_variant av JOIN analysis a ON a.analysis_id = av.analysis_id
        JOIN sample s ON s.sample_key = a.sample_key JOIN variant v ON v.variant_id = av.variant_id""",
    "latest_analysis": """SELECT s.sample_id, s.family_id, a.analysis_id, a.added_at, a.hpo_version, a.tool_version
        FROM analysis a JOIN sample s ON s.sample_key = a.sample_key
        WHERE a.analysis_id = (SELECT max(x.analysis_id) FROM analysis x WHERE x.sample_key = a.sample_key)""",
    "case_status": """SELECT s.sample_id, s.family_id,
            CASE WHEN EXISTS (SELECT 1 FROM review r WHERE r.sample_key = s.sample_key
                AND r.class IN ('pathogenic', 'likely_pathogenic')
                AND r.review_id = (SELECT max(x.review_id) FROM review x
                                   WHERE x.sample_key = r.sample_key AND x.variant_id = r.variant_id))
            THEN 'solved' ELSE 'unsolved' END AS status
        FROM sample s WHERE EXISTS (SELECT 1 FROM analysis a WHERE a.sample_key = s.sample_key)""",
    "in_house_frequencies": """SELECT v.chrom, v.pos, v.ref, v.alt, f.ac, f.an_reference AS an, f.n_hom, f.n_hemi
        FROM frequency f JOIN variant v ON v.variant_id = f.variant_id""",
}
EXPORT_TABLES = ("sample", "callset", "callset_sample", "variant", "variant_capture", "genotype", "analysis",
                 "analysis_term", "analysis_gene", "analysis_variant", "frequency", "review", "schema_version")


def with_views(sql: str) -> str:
    """The user's statement with the documented views in scope."""
    text = sql.strip().rstrip(";").strip()
    ctes = ",\n".join(f"{name} AS ({body})" for name, body in VIEWS.items())
    if text[:4].lower() == "with":
        return f"WITH {ctes},\n{text[4:]}"
    return f"WITH {ctes}\n{text}"


def run_query(store: Store, sql: str, params: list[str]) -> pa.Table:
    """Run one read-only statement. The store is opened read-only (DuckDB: a read-only file with
    external access off; PostgreSQL: read-only transactions), so a write fails in the engine
    itself; values come in as `$1, $2, ...` parameters, never spliced into the text."""
    if not store.read_only:
        raise RuntimeError("run_query needs a read-only store")
    if not sql.strip():
        raise InputError("empty query", where="--sql", hint='pass one SELECT, e.g. --sql "SELECT * FROM case_status"')
    try:
        return store.arrow(with_views(sql), params)
    except Exception as err:  # noqa: BLE001 - each engine raises its own error types; any is the user's SQL
        message = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise InputError(f"query refused or failed: {message}", where="--sql",
                         hint="one read-only SELECT; values as $1, $2 ... with --param") from None


def export_snapshot(store: Store, out_dir: Path) -> list[Path]:
    """One Parquet file per table in OUT_DIR, each written to a temp file then renamed."""
    written = []
    for name in EXPORT_TABLES:
        table = store.arrow(f"SELECT * FROM {name}")
        meta = {"variantprio.schema": f"cohort.{name}", "variantprio.version": __version__,
                "variantprio.cohort_schema_version": str(SCHEMA_VERSION)}
        path = Path(out_dir) / f"{name}.parquet"
        with atomic_path(path) as tmp:
            pq.write_table(table.replace_schema_metadata(meta), tmp, compression="zstd")
        written.append(path)
    return written

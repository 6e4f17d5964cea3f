"""The cohort database's tables, versioned: each migration moves the schema one version up.

`open_cohort` applies pending migrations when it may write, refuses a database whose schema is
newer than this tool (an older variantprio must never write into a newer layout), and asks for
`cohort migrate` when a read-only command meets an older schema.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from .. import __version__
from ..errors import InputError
from .store import Store, connect, describe_db


@dataclass(frozen=True)
class Migration:
    version: int
    what: str
    statements: tuple[str, ...]
    postgres_only: tuple[str, ...] = ()  # indexes DuckDB does without (it scans columns instead)


MIGRATIONS = (
    Migration(1, "registry: samples, callsets, genotypes, analyses, ranked genes, in-house frequencies", (
        """CREATE TABLE sample (
            sample_key INTEGER PRIMARY KEY, sample_id TEXT NOT NULL UNIQUE, family_id TEXT NOT NULL,
            father_id TEXT, mother_id TEXT, sex SMALLINT NOT NULL, affected BOOLEAN,
            updated_at TIMESTAMP NOT NULL)""",
        """CREATE TABLE callset (
            callset_id INTEGER PRIMARY KEY, fingerprint TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
            capture TEXT NOT NULL, genome_build TEXT, n_variants BIGINT NOT NULL, added_at TIMESTAMP NOT NULL)""",
        """CREATE TABLE callset_sample (
            callset_id INTEGER NOT NULL, sample_key INTEGER NOT NULL, PRIMARY KEY (callset_id, sample_key))""",
        """CREATE TABLE variant (
            variant_id BIGINT PRIMARY KEY, chrom TEXT NOT NULL, pos BIGINT NOT NULL, ref TEXT NOT NULL,
            alt TEXT NOT NULL, region SMALLINT NOT NULL, UNIQUE (chrom, pos, ref, alt))""",
        """CREATE TABLE variant_capture (
            variant_id BIGINT NOT NULL, capture TEXT NOT NULL, PRIMARY KEY (variant_id, capture))""",
        """CREATE TABLE genotype (
            callset_id INTEGER NOT NULL, sample_key INTEGER NOT NULL, variant_id BIGINT NOT NULL,
            zyg SMALLINT NOT NULL)""",
        """CREATE TABLE analysis (
            analysis_id INTEGER PRIMARY KEY, sample_key INTEGER NOT NULL, fingerprint TEXT NOT NULL,
            callset_id INTEGER NOT NULL, added_at TIMESTAMP NOT NULL, analysed_at TIMESTAMP,
            tool_version TEXT, genome_build TEXT, hpo_version TEXT, sources TEXT, config_sha256 TEXT,
            results_dir TEXT, UNIQUE (sample_key, fingerprint))""",
        """CREATE TABLE analysis_term (
            analysis_id INTEGER NOT NULL, term_id TEXT NOT NULL, excluded BOOLEAN NOT NULL)""",
        """CREATE TABLE analysis_gene (
            analysis_id INTEGER NOT NULL, rank DOUBLE PRECISION NOT NULL, gene_symbol TEXT NOT NULL,
            combined_score DOUBLE PRECISION, posterior DOUBLE PRECISION, phenotype_score DOUBLE PRECISION,
            variant_score DOUBLE PRECISION, mode TEXT, best_variant TEXT, disease_id TEXT, disease_name TEXT)""",
        """CREATE TABLE analysis_variant (
            analysis_id INTEGER NOT NULL, variant_id BIGINT NOT NULL, gene_symbol TEXT NOT NULL,
            gene_rank DOUBLE PRECISION, variant_score DOUBLE PRECISION, consequence TEXT, hgvs_c TEXT,
            hgvs_p TEXT, is_best BOOLEAN)""",
        """CREATE TABLE frequency (
            variant_id BIGINT PRIMARY KEY, ac INTEGER NOT NULL, an_reference INTEGER NOT NULL,
            an_called INTEGER NOT NULL, n_hom INTEGER NOT NULL, n_hemi INTEGER NOT NULL)""",
        "CREATE SEQUENCE variant_seq START 1",
        "CREATE SEQUENCE id_seq START 1",
    ), postgres_only=(
        "CREATE INDEX genotype_variant ON genotype (variant_id)",
        "CREATE INDEX genotype_callset ON genotype (callset_id, sample_key)",
        "CREATE INDEX analysis_gene_analysis ON analysis_gene (analysis_id)",
        "CREATE INDEX analysis_variant_analysis ON analysis_variant (analysis_id)",
    )),
    Migration(2, "interpretation history: reviews, never overwritten", (
        """CREATE TABLE review (
            review_id INTEGER PRIMARY KEY, sample_key INTEGER NOT NULL, variant_id BIGINT NOT NULL,
            class TEXT NOT NULL, note TEXT NOT NULL, author TEXT NOT NULL, reviewed_at TIMESTAMP NOT NULL,
            analysis_id INTEGER)""",
    ), postgres_only=(
        "CREATE INDEX review_variant ON review (variant_id)",
    )),
)
SCHEMA_VERSION = MIGRATIONS[-1].version


def now_utc() -> datetime:
    """Timestamps are stored as UTC without a zone (both engines agree on plain TIMESTAMP)."""
    return datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)


def current_version(store: Store) -> int:
    """0 for an empty database, else the highest applied migration."""
    exists = store.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = $1",
                          ("schema_version",))
    if not exists:
        return 0
    return int(store.scalar("SELECT coalesce(max(version), 0) FROM schema_version") or 0)


def migrate(store: Store, up_to: int = SCHEMA_VERSION) -> list[int]:
    """Apply the pending migrations (one transaction); returns the versions applied."""
    applied = []
    with store.transaction():
        store.serialise_writers()
        version = current_version(store)
        _refuse_newer(store, version)
        if version == 0:
            store.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at TIMESTAMP "
                          "NOT NULL, tool_version TEXT NOT NULL, what TEXT NOT NULL)")
        for migration in MIGRATIONS:
            if version < migration.version <= up_to:
                extra = migration.postgres_only if store.dialect == "postgres" else ()
                for statement in migration.statements + extra:
                    store.execute(statement)
                store.execute("INSERT INTO schema_version VALUES ($1, $2, $3, $4)",
                              (migration.version, now_utc(), __version__, migration.what))
                applied.append(migration.version)
    return applied


def _refuse_newer(store: Store, version: int) -> None:
    if version > SCHEMA_VERSION:
        raise InputError(f"the cohort database has schema version {version}, newer than this variantprio "
                         f"{__version__} understands (up to {SCHEMA_VERSION})", path=describe_db(store.db),
                         hint="upgrade variantprio; an older tool never writes into a newer schema")


def open_cohort(db: str, *, write: bool, sandbox: bool = False) -> Store:
    """A store at the current schema: migrated when writing, checked when reading."""
    store = connect(db, read_only=not write, sandbox=sandbox)
    try:
        if write:
            migrate(store)
        else:
            version = current_version(store)
            _refuse_newer(store, version)
            if version == 0:
                raise InputError("not a cohort database (no schema_version table)", path=describe_db(db),
                                 hint="create it with `variantprio cohort add --db DB RESULTS_DIR`")
            if version < SCHEMA_VERSION:
                raise InputError(f"the cohort database has schema version {version}; this variantprio needs "
                                 f"{SCHEMA_VERSION}", path=describe_db(db),
                                 hint="run `variantprio cohort migrate --db DB` once")
    except BaseException:
        store.close()
        raise
    return store


def next_id(store: Store, sequence: str = "id_seq") -> int:
    """A fresh key from a sequence (writers are serialised, so keys never collide)."""
    return int(store.scalar(f"SELECT nextval('{sequence}')"))

"""Connections to the cohort database: an embedded DuckDB file or a PostgreSQL server.

Both engines take the same SQL with `$1, $2, ...` parameters and exchange data as Arrow: bulk
loads register (DuckDB) or COPY (PostgreSQL, through ADBC) an Arrow table as a staging table and
insert from it with one statement; results come back as Arrow tables.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Sequence

import pyarrow as pa

from ..errors import InputError

_PG_PREFIXES = ("postgresql://", "postgres://")
# How long a DuckDB open waits for another process (a concurrent `cohort add`) to release the file.
LOCK_WAIT_SECONDS = 300.0


def is_postgres(db: str) -> bool:
    return str(db).startswith(_PG_PREFIXES)


def describe_db(db: str) -> str:
    """The database named for messages, without a password."""
    if not is_postgres(db):
        return str(db)
    scheme, rest = str(db).split("://", 1)
    if "@" in rest:
        creds, host = rest.rsplit("@", 1)
        rest = f"{creds.split(':', 1)[0]}@{host}"
    return f"{scheme}://{rest}"


class Store(ABC):
    """One open connection; `dialect` is 'duckdb' or 'postgres'."""

    dialect = ""

    def __init__(self, db: str, read_only: bool) -> None:
        self.db = db
        self.read_only = read_only

    # --- what each engine provides ---------------------------------------------------------------
    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Run one parameterised statement ($1, $2, ... bound, never pasted into the SQL)."""

    @abstractmethod
    def arrow(self, sql: str, params: Sequence[Any] = ()) -> pa.Table:
        """Run one parameterised query and return its rows as Arrow (bulk reads stay columnar)."""

    @abstractmethod
    def stage(self, name: str, table: pa.Table) -> None:
        """Make `table` queryable as `name` until `unstage(name)` (or the end of the connection)."""

    @abstractmethod
    def unstage(self, name: str) -> None:
        """Forget a table made queryable by `stage`."""

    @abstractmethod
    def begin(self) -> None:
        """Open a transaction: an add is checked, then loaded all or nothing."""

    @abstractmethod
    def commit(self) -> None:
        """Make the transaction's changes visible."""

    @abstractmethod
    def rollback(self) -> None:
        """Undo the transaction: a failed add leaves the database as it was."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection (and, for DuckDB, the file lock)."""

    def serialise_writers(self) -> None:
        """Inside a transaction: wait for other writers (PostgreSQL; DuckDB has one writer anyway)."""

    # --- shared ------------------------------------------------------------------------------
    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        table = self.arrow(sql, params)
        columns = [c.to_pylist() for c in table.columns]
        return list(zip(*columns)) if columns else []

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        rows = self.rows(sql, params)
        return rows[0][0] if rows else None

    @contextmanager
    def transaction(self) -> Iterator["Store"]:
        """All or nothing: a failure rolls every statement back."""
        self.begin()
        try:
            yield self
        except BaseException:
            self.rollback()
            raise
        self.commit()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _duckdb_arrow(relation) -> pa.Table:
    if relation is None:  # a statement that returns no rows
        return pa.table({})
    fetch = getattr(relation, "to_arrow_table", None) or getattr(relation, "arrow")
    return fetch()


class DuckDBStore(Store):
    dialect = "duckdb"

    def __init__(self, db: str, read_only: bool, *, sandbox: bool = False) -> None:
        import duckdb

        super().__init__(db, read_only)
        path = Path(db)
        if read_only and not path.exists():
            raise InputError("cohort database not found", path=db,
                             hint="create it with `variantprio cohort add --db DB RESULTS_DIR`")
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        config = {"enable_external_access": "false", "lock_configuration": "true"} if sandbox else {}
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            try:
                self.con = duckdb.connect(str(path), read_only=read_only, config=config)
                break
            except duckdb.IOException as err:
                if "lock" in str(err).lower() and time.monotonic() < deadline:
                    time.sleep(0.5)  # another process writes: wait for it, as a shared server would
                    continue
                raise InputError(f"cannot open the cohort database ({_first_line(err)})", path=db,
                                 hint="check the path; a file another process keeps open blocks writers") from None
            except duckdb.Error as err:
                raise InputError(f"not a DuckDB cohort database ({_first_line(err)})", path=db,
                                 hint="pass a .duckdb file written by `variantprio cohort add` or a postgresql:// URL") from None
        self._staged: set[str] = set()

    def execute(self, sql, params=()):
        self.con.execute(sql, list(params))

    def arrow(self, sql, params=()):
        return _duckdb_arrow(self.con.sql(sql, params=list(params) or None))

    def stage(self, name, table):
        self.con.register(name, table)
        self._staged.add(name)

    def unstage(self, name):
        if name in self._staged:
            self.con.unregister(name)
            self._staged.discard(name)

    def begin(self):
        self.con.execute("BEGIN TRANSACTION")

    def commit(self):
        self.con.execute("COMMIT")

    def rollback(self):
        self.con.execute("ROLLBACK")

    def close(self):
        self.con.close()


class PostgresStore(Store):
    dialect = "postgres"

    def __init__(self, db: str, read_only: bool, *, sandbox: bool = False) -> None:
        try:
            import adbc_driver_postgresql.dbapi as pgdbapi
        except ImportError:
            raise InputError("PostgreSQL support needs the adbc-driver-postgresql package",
                             hint="pip install adbc-driver-postgresql") from None
        super().__init__(db, read_only)
        try:
            self.con = pgdbapi.connect(db)
        except Exception as err:  # noqa: BLE001 - the driver raises its own error types
            raise InputError(f"cannot connect to {describe_db(db)} ({_first_line(err)})",
                             hint="check host, port, user and database in the URL and that the server runs") from None
        self.cur = self.con.cursor()
        self._in_transaction = False
        self._staged: set[str] = set()
        if sandbox:
            # User-written SQL: every transaction of this session is read-only; the server refuses
            # any write (our own read paths stage temporary tables, which this would forbid).
            self.cur.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        self.con.commit()

    def execute(self, sql, params=()):
        self.cur.execute(sql, tuple(params) if params else None)
        if not self._in_transaction:
            self.con.commit()

    def arrow(self, sql, params=()):
        self.cur.execute(sql, tuple(params) if params else None)
        table = self.cur.fetch_arrow_table()
        if not self._in_transaction:
            self.con.commit()
        return table

    def stage(self, name, table):
        self.unstage(name)
        self.cur.adbc_ingest(name, _pg_ingestable(table), mode="create", temporary=True)
        self._staged.add(name)

    def unstage(self, name):
        if name in self._staged:
            self.cur.execute(f"DROP TABLE {name}")
            self._staged.discard(name)

    def begin(self):
        self.con.commit()  # ADBC opens transactions implicitly: start from a clean one
        self._in_transaction = True

    def commit(self):
        self.con.commit()
        self._in_transaction = False

    def rollback(self):
        self.con.rollback()
        self._in_transaction = False

    def serialise_writers(self):
        self.cur.execute("SELECT pg_advisory_xact_lock(1717)")
        self.cur.fetchall()

    def close(self):
        try:
            self.cur.close()
        finally:
            self.con.close()


def _pg_ingestable(table: pa.Table) -> pa.Table:
    """COPY has no 8-bit integers or dictionary strings: widen them for the staging table."""
    fields = []
    for field in table.schema:
        t = field.type
        if pa.types.is_int8(t) or pa.types.is_uint8(t):
            t = pa.int16()
        elif pa.types.is_dictionary(t):
            t = t.value_type
        elif pa.types.is_large_string(t):
            t = pa.string()
        fields.append(pa.field(field.name, t))
    return table.cast(pa.schema(fields))


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__


def connect(db: str, *, read_only: bool = False, sandbox: bool = False) -> Store:
    """Open the cohort database `db`: a postgresql:// URL or a DuckDB file path.

    `sandbox` (DuckDB) also forbids reading or writing any other file, for user-written SQL."""
    if not db:
        raise InputError("no cohort database given", hint="pass --db FILE.duckdb or --db postgresql://... "
                         "(or set cohort.db in the config)")
    if is_postgres(db):
        return PostgresStore(db, read_only, sandbox=sandbox)
    return DuckDBStore(db, read_only, sandbox=sandbox)

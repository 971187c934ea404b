"""Database URLs and connections for scoring in place, with one-line errors.

Two engines, two URL forms::

    postgresql://user[:password]@host[:port]/dbname[?sslmode=...]   (also postgres://)
    duckdb:///absolute/path/shop.duckdb        duckdb://relative/path/shop.duckdb

The PostgreSQL URL is handed to libpq as it is (every libpq URL parameter works; a password
may also come from ``PGPASSWORD`` or ``~/.pgpass``) and is never printed with its password.
A DuckDB URL names a file that must exist: scoring reads a customer table from it, and
DuckDB would otherwise create an empty database and report a missing table instead.

Why a small :class:`Database` class rather than the drivers directly: the in-place scorer
asks the same questions of both engines (where is this table, which columns does it have,
may this user read it and create tables beside it), and every driver exception is turned
into a :class:`~toolkit.errors.SegkitError` of one line here, naming the table or column
and what to do. The drivers are imported on first use (``pip install segkit[postgres]``,
``segkit[duckdb]``).
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit, urlunsplit

from toolkit.errors import SegkitError
from toolkit.sql.dialects import get_dialect, table_parts

CONNECT_TIMEOUT_SECONDS = 10
URL_FORMS = "postgresql://user@host:5432/dbname or duckdb:///path/to/file.duckdb"


# --------------------------------------------------------------------------------------------
# URLs


@dataclass(frozen=True)
class DatabaseURL:
    """A parsed ``--db`` URL: the engine, the text for libpq or the DuckDB file."""

    engine: str            # "postgres" or "duckdb"
    url: str               # as given (PostgreSQL: handed to libpq unchanged)
    path: Path | None = None  # DuckDB: the database file

    @property
    def dialect(self) -> str:
        """The SQL dialect name of :mod:`toolkit.sql.dialects` for this engine."""
        return self.engine

    def display(self) -> str:
        """The URL for messages: a PostgreSQL password is replaced by ``***``."""
        if self.engine == "duckdb":
            return f"duckdb://{self.path}" if self.path and self.path.is_absolute() else self.url
        return redact(self.url)


def redact(url: str) -> str:
    """``url`` without its password (``postgresql://ann:***@host/db``)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return re.sub(r"//([^:@/]*):[^@/]*@", r"//\1:***@", url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))


def parse_url(url: str) -> DatabaseURL:
    """The engine and target of a ``--db`` URL (see the module docstring for the forms)."""
    text = (url or "").strip()
    scheme, sep, rest = text.partition(":")
    scheme = scheme.lower()
    if not sep or not scheme:
        raise SegkitError(f"--db {text!r} is not a database URL; use {URL_FORMS}")
    if scheme in ("postgresql", "postgres"):
        if not rest.startswith("//"):
            raise SegkitError(f"--db {redact(text)!r}: a PostgreSQL URL starts with postgresql://")
        return DatabaseURL("postgres", text)
    if scheme == "duckdb":
        if not rest.startswith("//"):
            raise SegkitError(f"--db {text!r}: a DuckDB URL starts with duckdb:// "
                              "(duckdb:///absolute/path.duckdb or duckdb://relative/path.duckdb)")
        path = rest[2:]
        if path in ("", "/", ":memory:", "/:memory:"):
            raise SegkitError(f"--db {text!r}: name the DuckDB database file "
                              "(an in-memory database holds no customer table)")
        return DatabaseURL("duckdb", text, Path(path).expanduser())
    raise SegkitError(f"--db {redact(text)!r}: unsupported database {scheme!r}; use {URL_FORMS}")


# --------------------------------------------------------------------------------------------
# the connection


@dataclass(frozen=True)
class TableRef:
    """A table or view found in the database: its resolved schema and name (and catalog)."""

    schema: str
    name: str
    kind: str               # "table" or "view" (or another relation kind, by its name)
    catalog: str | None = None
    owned: bool = True      # this user may drop and replace it
    key: Any = None         # the engine's identity for it (PostgreSQL oid)

    def parts(self) -> list[str]:
        return [p for p in (self.catalog, self.schema, self.name) if p is not None]


class Database:
    """An open connection to one engine, asked the questions scoring in place needs.

    Subclasses: :class:`PostgresDatabase`, :class:`DuckDBDatabase`. Every method raises
    :class:`SegkitError` (one line) for what the user can fix.
    """

    engine = ""

    def __init__(self, url: DatabaseURL):
        self.url = url
        self.dialect = get_dialect(url.dialect)

    # the engine's own -----------------------------------------------------------------------
    def query(self, sql: str, params: tuple = (), *, what: str = "query") -> list[tuple]:
        raise NotImplementedError

    def execute(self, sql: str, params: tuple = (), *, what: str = "statement") -> None:
        raise NotImplementedError

    def locate(self, name: str) -> TableRef | None:
        """The table or view ``name`` resolves to (as a query would), or None."""
        raise NotImplementedError

    def columns(self, table: TableRef) -> dict[str, str]:
        """Column name -> type name (lower case) of a located table, in table order."""
        raise NotImplementedError

    def target_schema(self, name: str) -> tuple[str | None, str]:
        """(catalog, schema) a new table called ``name`` would be created in; an error when
        that schema does not exist."""
        raise NotImplementedError

    def check_read(self, table: TableRef, columns: list[str]) -> None:
        """An error when this user may not read ``columns`` of ``table``."""

    def check_create(self, catalog: str | None, schema: str, into: str) -> None:
        """An error when this user may not create a table in ``schema``."""

    def begin(self) -> None:
        self.execute("BEGIN", what="transaction")

    def close(self) -> None:
        raise NotImplementedError

    # shared ---------------------------------------------------------------------------------
    def quoted(self, ref: TableRef) -> str:
        return ".".join(self.dialect.ident(p) for p in ref.parts())

    def same_name(self, a: str, b: str) -> bool:
        """Whether two identifiers name the same object (engine rules for case)."""
        return a == b

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction: committed when the block ends, rolled back on any error."""
        self.begin()
        try:
            yield
        except BaseException:
            self.rollback()
            raise
        self.execute("COMMIT", what="commit")

    def rollback(self) -> None:
        try:
            self.execute("ROLLBACK", what="rollback")
        except SegkitError:
            pass

    def __enter__(self) -> "Database":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def connect(url: str | DatabaseURL) -> Database:
    """An open :class:`Database` for a ``--db`` URL; one line when it cannot be opened."""
    parsed = url if isinstance(url, DatabaseURL) else parse_url(url)
    if parsed.engine == "postgres":
        return PostgresDatabase(parsed)
    return DuckDBDatabase(parsed)


def _first_line(text: str) -> str:
    lines = [ln.strip() for ln in str(text).splitlines() if ln.strip()]
    return lines[0] if lines else ""


# --------------------------------------------------------------------------------------------
# PostgreSQL

_PG_TYPES_INT = ("smallint", "integer", "bigint")
_PG_TYPES_TEXT = ("text", "character varying", "character", "name")


def _pg_connect_reason(message: str) -> str:
    """A libpq connection failure in words: refused, unknown host, authentication, ..."""
    flat = " ".join(message.split())
    low = flat.lower()
    if "connection refused" in low:
        return "connection refused (is the server running and accepting TCP/IP connections on that host and port?)"
    if ("could not translate host name" in low or "failed to resolve host" in low
            or "name or service not known" in low or "nodename nor servname" in low):
        host = re.search(r'host(?: name)? ["\']([^"\']+)["\']', flat)
        return f"unknown host{' ' + repr(host.group(1)) if host else ''} (check the host name in the URL)"
    if "password authentication failed" in low or "authentication failed" in low:
        user = re.search(r'for user "([^"]+)"', flat)
        return (f"authentication failed for user {user.group(1)!r}" if user else "authentication failed") + \
            " (check the user and password: in the URL, PGPASSWORD or ~/.pgpass)"
    if "no password supplied" in low or "password is required" in low:
        return "the server asks for a password and none was given (put it in the URL, PGPASSWORD or ~/.pgpass)"
    role = re.search(r'role "([^"]+)" does not exist', flat)
    if role:
        return f"authentication failed: role {role.group(1)!r} does not exist on the server"
    db = re.search(r'database "([^"]+)" does not exist', flat)
    if db:
        return f"database {db.group(1)!r} does not exist on the server"
    if "no pg_hba.conf entry" in low:
        return "the server does not accept this user from this host (pg_hba.conf)"
    if "timeout expired" in low or "timed out" in low:
        return f"no answer within {CONNECT_TIMEOUT_SECONDS} s (host unreachable or a firewall?)"
    detail = re.sub(r"^connection (?:to server .*? failed|failed): ", "", flat)
    detail = re.sub(r"^connection to server .*? failed: ", "", detail)
    return detail.split(" FATAL: ")[-1].removeprefix("FATAL: ") or "unknown reason"


class PostgresDatabase(Database):
    """PostgreSQL through psycopg 3, in autocommit mode with explicit transactions."""

    engine = "postgres"

    def __init__(self, url: DatabaseURL):
        super().__init__(url)
        try:
            import psycopg
        except ImportError:
            raise SegkitError("scoring in PostgreSQL needs the psycopg driver: "
                              "pip install 'segkit[postgres]'") from None
        self._psycopg = psycopg
        try:
            self.conn = psycopg.connect(url.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS)
        except psycopg.Error as exc:
            raise SegkitError(f"cannot connect to {url.display()}: {_pg_connect_reason(str(exc))}") from None
        self.user = self.query("SELECT current_user")[0][0]

    def _error(self, exc: Exception, what: str) -> SegkitError:
        diag = getattr(exc, "diag", None)
        message = (getattr(diag, "message_primary", None) or _first_line(str(exc)) or type(exc).__name__)
        state = getattr(exc, "sqlstate", None) or ""
        if state == "42501":  # insufficient_privilege
            return SegkitError(f"permission denied in {self.url.display()} ({what}): {message} "
                               f"(ask the table's owner to GRANT it to {getattr(self, 'user', 'this user')})")
        if isinstance(exc, self._psycopg.OperationalError) and self.conn.closed:
            return SegkitError(f"lost the connection to {self.url.display()} ({what}): {message}")
        return SegkitError(f"PostgreSQL refused the {what}: {message}")

    def query(self, sql: str, params: tuple = (), *, what: str = "query") -> list[tuple]:
        try:
            with self.conn.cursor() as cur:
                cur.execute(sql, params or None)
                return cur.fetchall() if cur.description is not None else []
        except self._psycopg.Error as exc:
            raise self._error(exc, what) from None

    def execute(self, sql: str, params: tuple = (), *, what: str = "statement") -> None:
        self.query(sql, params, what=what)

    def begin(self) -> None:
        # one snapshot for the checks and the scoring query
        self.execute("BEGIN ISOLATION LEVEL REPEATABLE READ", what="transaction")

    def locate(self, name: str) -> TableRef | None:
        parts = table_parts(name)
        if len(parts) == 3:
            here = self.query("SELECT current_database()")[0][0]
            if parts[0] != here:
                raise SegkitError(f"table {name!r} is in database {parts[0]!r}, but the URL connects to "
                                  f"{here!r}: PostgreSQL reads tables of the database it is connected to")
        quoted = ".".join(self.dialect.ident(p) for p in parts[-2:])
        rows = self.query(
            "SELECT n.nspname, c.relname, c.relkind, pg_has_role(c.relowner, 'USAGE'), c.oid "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.oid = to_regclass(%s)", (quoted,), what=f"lookup of table {name}")
        if not rows:
            return None
        schema, rel, kind, owned, oid = rows[0]
        kinds = {"r": "table", "p": "table", "v": "view", "m": "materialized view", "f": "foreign table"}
        return TableRef(schema, rel, kinds.get(kind, f"relation of kind {kind}"), None, bool(owned), oid)

    def columns(self, table: TableRef) -> dict[str, str]:
        rows = self.query("SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
                          "WHERE attrelid = %s AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
                          (table.key,), what=f"column lookup of {table.schema}.{table.name}")
        return {name: typ.lower() for name, typ in rows}

    def target_schema(self, name: str) -> tuple[str | None, str]:
        parts = table_parts(name)
        if len(parts) == 1:
            schema = self.query("SELECT current_schema()")[0][0]
            if schema is None:
                raise SegkitError(f"--into {name!r}: no schema on the search_path exists to create it "
                                  "in; write schema.table")
            return None, schema
        if len(parts) == 3:
            self.locate(name)  # the catalog check
        if not self.query("SELECT 1 FROM pg_namespace WHERE nspname = %s", (parts[-2],)):
            raise SegkitError(f"--into {name!r}: schema {parts[-2]!r} does not exist in "
                              f"{self.url.display()} (schema names are case-sensitive)")
        return None, parts[-2]

    def check_read(self, table: TableRef, columns: list[str]) -> None:
        if self.query("SELECT has_table_privilege(%s, 'SELECT')", (table.key,))[0][0]:
            return
        for column in columns:
            if not self.query("SELECT has_column_privilege(%s, %s, 'SELECT')", (table.key, column))[0][0]:
                raise SegkitError(f"permission denied: user {self.user!r} may not read column {column!r} "
                                  f"of {table.schema}.{table.name} (GRANT SELECT ON {table.schema}.{table.name} "
                                  f"TO {self.user})")

    def check_create(self, catalog: str | None, schema: str, into: str) -> None:
        if not self.query("SELECT has_schema_privilege(%s, 'CREATE')", (schema,))[0][0]:
            raise SegkitError(f"permission denied: user {self.user!r} may not create tables in schema "
                              f"{schema!r}, so --into {into!r} cannot be written (GRANT CREATE ON SCHEMA "
                              f"{schema} TO {self.user})")

    def close(self) -> None:
        try:
            self.conn.close()
        except Exception:  # noqa: BLE001 - closing a broken connection
            pass


# --------------------------------------------------------------------------------------------
# DuckDB


class DuckDBDatabase(Database):
    """A DuckDB database file, opened read-write (scoring creates the result table in it)."""

    engine = "duckdb"

    def __init__(self, url: DatabaseURL):
        super().__init__(url)
        try:
            import duckdb
        except ImportError:
            raise SegkitError("scoring in DuckDB needs the duckdb package: pip install 'segkit[duckdb]'") from None
        self._duckdb = duckdb
        path = url.path
        assert path is not None
        if not path.exists():
            hint = ("; duckdb:///path is an absolute path, write duckdb://relative/path for one relative "
                    "to the current folder") if url.url.lower().startswith("duckdb:///") else ""
            raise SegkitError(f"no DuckDB database file at {path}{hint}")
        if path.is_dir():
            raise SegkitError(f"{path} is a folder, not a DuckDB database file")
        try:
            self.conn = duckdb.connect(str(path))
        except duckdb.Error as exc:
            line = _first_line(str(exc))
            low = line.lower()
            if "permission denied" in low or "read-only" in low or "readonly" in low:
                reason = "permission denied (scoring writes the result table into the file: it must be writable)"
            elif "lock" in low:
                reason = "the file is open in another process (close it there, or score a copy)"
            elif "not a valid duckdb database" in low:
                reason = "not a DuckDB database file (or one written by a newer DuckDB)"
            else:
                reason = re.sub(r"^IO Error: ", "", line)
            raise SegkitError(f"cannot open {url.display()}: {reason}") from None

    def _error(self, exc: Exception, what: str) -> SegkitError:
        line = _first_line(str(exc)) or type(exc).__name__
        if "permission" in line.lower():
            return SegkitError(f"permission denied in {self.url.display()} ({what}): {line}")
        return SegkitError(f"DuckDB refused the {what}: {line}")

    def query(self, sql: str, params: tuple = (), *, what: str = "query") -> list[tuple]:
        try:
            cur = self.conn.execute(sql, list(params)) if params else self.conn.execute(sql)
            return cur.fetchall() if cur.description is not None else []
        except self._duckdb.Error as exc:
            raise self._error(exc, what) from None

    def execute(self, sql: str, params: tuple = (), *, what: str = "statement") -> None:
        try:
            self.conn.execute(sql, list(params)) if params else self.conn.execute(sql)
        except self._duckdb.Error as exc:
            raise self._error(exc, what) from None

    def same_name(self, a: str, b: str) -> bool:
        return a.lower() == b.lower()  # DuckDB resolves names case-insensitively, quoted or not

    def _where(self, name: str) -> tuple[str, str, str]:
        parts = table_parts(name)
        database, schema = self.query("SELECT current_database(), current_schema()")[0]
        if len(parts) == 3:
            return parts[0], parts[1], parts[2]
        if len(parts) == 2:
            return database, parts[0], parts[1]
        return database, schema, parts[0]

    def locate(self, name: str) -> TableRef | None:
        database, schema, table = self._where(name)
        for kind, source in (("table", "duckdb_tables()"), ("view", "duckdb_views()")):
            rows = self.query(f"SELECT database_name, schema_name, {kind}_name FROM {source} "
                              f"WHERE lower(database_name) = lower(?) AND lower(schema_name) = lower(?) "
                              f"AND lower({kind}_name) = lower(?)", (database, schema, table),
                              what=f"lookup of table {name}")
            if rows:
                db, sch, rel = rows[0]
                return TableRef(sch, rel, kind, db, True, (db.lower(), sch.lower(), rel.lower()))
        return None

    def columns(self, table: TableRef) -> dict[str, str]:
        try:
            rel = self.conn.sql(f"SELECT * FROM {self.quoted(table)} LIMIT 0")
            return {name: str(typ).lower() for name, typ in zip(rel.columns, rel.types)}
        except self._duckdb.Error as exc:
            raise self._error(exc, f"column lookup of {table.name}") from None

    def target_schema(self, name: str) -> tuple[str | None, str]:
        database, schema, _ = self._where(name)
        rows = self.query("SELECT database_name, schema_name FROM duckdb_schemas() "
                          "WHERE lower(database_name) = lower(?) AND lower(schema_name) = lower(?)",
                          (database, schema))
        if not rows:
            raise SegkitError(f"--into {name!r}: schema {schema!r} does not exist in {self.url.display()}")
        return rows[0][0], rows[0][1]

    def close(self) -> None:
        try:
            self.conn.close()
        except Exception:  # noqa: BLE001
            pass


def column_dtypes(types: dict[str, str]) -> dict[str, Any]:
    """Database column types as Polars dtypes where the rule compiler cares (integers, text,
    booleans hold no NaN); other types are left out, so their NaN tests stay (always safe)."""
    import polars as pl

    out: dict[str, Any] = {}
    for name, typ in types.items():
        base = typ.split("(")[0].strip()
        if base in _PG_TYPES_INT or base in ("tinyint", "smallint", "integer", "bigint", "hugeint", "utinyint",
                                              "usmallint", "uinteger", "ubigint", "int", "int4", "int8", "int2"):
            out[name] = pl.Int64
        elif base in _PG_TYPES_TEXT or base in ("varchar", "string"):
            out[name] = pl.String
        elif base in ("boolean", "bool"):
            out[name] = pl.Boolean
    return out

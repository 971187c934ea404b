"""--db URLs, libpq failures in words, and database types for the rule compiler."""

from __future__ import annotations

import socket
from pathlib import Path

import polars as pl
import pytest

from toolkit.engines.connect import (
    DatabaseURL, _pg_connect_reason, column_dtypes, connect, parse_url, redact,
)
from toolkit.errors import SegkitError


def test_urls_name_the_engine_and_the_file():
    pg = parse_url("postgresql://ann@db.example.com:5433/shop?sslmode=require")
    assert (pg.engine, pg.dialect, pg.path) == ("postgres", "postgres", None)
    assert parse_url("postgres://ann@h/db").engine == "postgres"
    absolute = parse_url("duckdb:///data/shop.duckdb")
    assert absolute.engine == "duckdb" and absolute.path == Path("/data/shop.duckdb")
    relative = parse_url("duckdb://shop.duckdb")
    assert relative.path == Path("shop.duckdb") and not relative.path.is_absolute()
    assert parse_url("DuckDB:///x.db").engine == "duckdb"


@pytest.mark.parametrize("url, needle", [
    ("shop.duckdb", "not a database URL"),
    ("mysql://u@h/db", "unsupported database 'mysql'"),
    ("duckdb:shop.duckdb", "starts with duckdb://"),
    ("duckdb:///:memory:", "name the DuckDB database file"),
    ("postgresql:host", "starts with postgresql://"),
    ("", "not a database URL"),
])
def test_bad_urls_are_one_line(url, needle):
    with pytest.raises(SegkitError, match=needle) as info:
        parse_url(url)
    assert "\n" not in str(info.value)


def test_passwords_never_appear_in_messages():
    assert redact("postgresql://ann:s3cret@h:5432/db") == "postgresql://ann:***@h:5432/db"
    assert redact("postgresql://ann@h/db") == "postgresql://ann@h/db"
    assert "s3cret" not in DatabaseURL("postgres", "postgresql://ann:s3cret@h/db").display()
    with pytest.raises(SegkitError) as info:
        parse_url("mysql://ann:s3cret@h/db")
    assert "s3cret" not in str(info.value)


@pytest.mark.parametrize("message, words", [
    ('connection failed: connection to server at "127.0.0.1", port 1 failed: Connection refused\n\t'
     'Is the server running on that host and accepting TCP/IP connections?', "connection refused"),
    ("failed to resolve host 'nohost.invalid': [Errno -2] Name or service not known",
     "unknown host 'nohost.invalid'"),
    ('connection failed: connection to server at "10.0.0.5", port 5432 failed: FATAL:  password '
     'authentication failed for user "ann"', "authentication failed for user 'ann'"),
    ('connection failed: connection to server at "10.0.0.5", port 5432 failed: fe_sendauth: no password supplied',
     "asks for a password"),
    ('connection failed: connection to server at "127.0.0.1", port 5432 failed: FATAL:  role "bob" does not exist',
     "role 'bob' does not exist"),
    ('connection failed: connection to server at "127.0.0.1", port 5432 failed: FATAL:  database "shp" does not exist',
     "database 'shp' does not exist"),
    ("connection failed: timeout expired", "no answer within"),
])
def test_libpq_failures_in_words(message, words):
    reason = _pg_connect_reason(message)
    assert words in reason and "\n" not in reason


def test_refused_port_is_one_line_without_a_server():
    pytest.importorskip("psycopg")
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(SegkitError, match="connection refused") as info:
        connect(f"postgresql://ann:pw@127.0.0.1:{port}/shop")
    assert "pw@" not in str(info.value) and f"127.0.0.1:{port}" in str(info.value)


def test_duckdb_file_must_exist(tmp_path):
    with pytest.raises(SegkitError, match="no DuckDB database file at .*absolute path"):
        connect(f"duckdb://{tmp_path}/missing.duckdb")
    assert not (tmp_path / "missing.duckdb").exists()  # DuckDB would have created it
    with pytest.raises(SegkitError, match="is a folder"):
        connect(f"duckdb://{tmp_path}")
    junk = tmp_path / "junk.duckdb"
    junk.write_text("not a database, just text " * 100)
    with pytest.raises(SegkitError, match="cannot open") as info:
        connect(f"duckdb://{junk}")
    assert "\n" not in str(info.value)


def test_database_types_keep_nan_tests_where_nan_is_possible():
    types = column_dtypes({"a": "integer", "b": "bigint", "c": "double precision", "d": "character varying(20)",
                           "e": "boolean", "f": "numeric(10,2)", "g": "DOUBLE".lower(), "h": "varchar",
                           "i": "hugeint"})
    assert types == {"a": pl.Int64, "b": pl.Int64, "d": pl.String, "e": pl.Boolean, "h": pl.String,
                     "i": pl.Int64}

"""Loading a workspace's exported tables (JSON Lines, CSV, Parquet) into DuckDB.

DuckDB reads the files (fast); a Python pass validates JSONL/CSV first, because
a user's malformed row must come back as one line naming the file and line,
which DuckDB's own errors do not reliably do.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any, Iterator

from ..errors import InputError
from ..schema import DUCKDB_TYPES, column_types
from ..timeparse import parse_moment

SUFFIXES = (".jsonl", ".csv", ".parquet")


def table_file(tables_dir: Path, table: str) -> Path:
    """The one file holding ``table``.

    Raises:
        InputError: no file, or more than one, for that table.
    """
    found = [tables_dir / f"{table}{s}" for s in SUFFIXES if (tables_dir / f"{table}{s}").is_file()]
    if not found:
        names = " or ".join(f"{table}{s}" for s in SUFFIXES)
        raise InputError(f"missing table {table}: expected {names}", path=tables_dir)
    if len(found) > 1:
        raise InputError(f"table {table} is in {len(found)} files; keep one", path=tables_dir)
    return found[0]


def load_table(con: Any, table: str, tables_dir: Path) -> None:
    """Create ``table`` in the DuckDB connection from its file in ``tables_dir``.

    Raises:
        InputError: missing file, malformed row (with its line), invalid value.
    """
    path = table_file(tables_dir, table)
    known = {name: DUCKDB_TYPES[kind] for name, kind in column_types(table).items()}
    if path.suffix == ".parquet":
        present = _parquet_columns(con, path)
        select = [f'"{c}"' for c in present]
        source = f"read_parquet({_sql_string(path)})"
    elif path.suffix == ".jsonl":
        present = _validate_jsonl(path, known)
        read_types = {c: ("TIMESTAMPTZ" if t == "TIMESTAMP" else t) for c, t in present.items()}
        select = [_cast(c, "TIMESTAMP") if t == "TIMESTAMP" else f'"{c}"' for c, t in present.items()]
        columns = "{" + ", ".join(f"{_sql_string(c)}: {_sql_string(t)}" for c, t in read_types.items()) + "}"
        source = f"read_json({_sql_string(path)}, format='newline_delimited', columns={columns})"
    else:
        present = _validate_csv(path, known)
        select = [_cast_text(c, t) for c, t in present.items()]
        columns = "{" + ", ".join(f"{_sql_string(c)}: 'VARCHAR'" for c in present) + "}"
        source = f"read_csv({_sql_string(path)}, header=true, auto_detect=false, columns={columns})"
    select += [f'CAST(NULL AS {t}) AS "{c}"' for c, t in known.items() if c not in present]
    try:
        con.execute(f'CREATE OR REPLACE TABLE "{table}" AS SELECT {", ".join(select)} FROM {source}')
    except Exception as exc:  # duckdb raises its own Error types; the message is what the user needs
        raise InputError(f"cannot load table {table}: {str(exc).splitlines()[0]}", path=path) from None


def _sql_string(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _cast(column: str, kind: str) -> str:
    return f'CAST("{column}" AS {kind}) AS "{column}"'


def _cast_text(column: str, kind: str) -> str:
    value = f"NULLIF(\"{column}\", '')"
    if kind == "TIMESTAMP":
        return f'CAST(CAST({value} AS TIMESTAMPTZ) AS TIMESTAMP) AS "{column}"'
    return f'CAST({value} AS {kind}) AS "{column}"'


def _parquet_columns(con: Any, path: Path) -> dict[str, str]:
    rows = con.execute(f"DESCRIBE SELECT * FROM read_parquet({_sql_string(path)})").fetchall()
    return {row[0]: row[1] for row in rows}


def _check_value(column: str, kind: str, value: Any) -> None:
    """Raise ValueError when ``value`` cannot be stored as ``kind``."""
    if value is None or value == "":
        return
    if kind == "TIMESTAMP":
        if not isinstance(value, str):
            raise ValueError(f"column {column}: expected an ISO 8601 date, got {value!r}")
        try:
            parse_moment(value)
        except ValueError as exc:
            raise ValueError(f"column {column}: {exc}") from None
    elif kind in ("INTEGER", "BIGINT"):
        if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.strip().lstrip("-").isdigit())):
            raise ValueError(f"column {column}: expected an integer, got {value!r}")
    elif kind == "DOUBLE":
        try:
            float(value)
        except (TypeError, ValueError):
            raise ValueError(f"column {column}: expected a number, got {value!r}") from None
    elif kind == "BOOLEAN":
        if not isinstance(value, bool) and str(value).lower() not in ("true", "false", "0", "1"):
            raise ValueError(f"column {column}: expected true or false, got {value!r}")


def _infer(value: Any) -> str:
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int):
        return "BIGINT"
    if isinstance(value, float):
        return "DOUBLE"
    if isinstance(value, (dict, list)):
        return "JSON"
    return "VARCHAR"


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(f"malformed JSON: {exc.msg}", path=path, line=number) from None
                if not isinstance(row, dict):
                    raise InputError("each line must be a JSON object", path=path, line=number)
                yield number, row
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=path) from None


def _validate_jsonl(path: Path, known: dict[str, str]) -> dict[str, str]:
    """Check every row; return the columns present with their DuckDB types."""
    present: dict[str, str] = {}
    for number, row in _jsonl_rows(path):
        for column, value in row.items():
            kind = known.get(column)
            if kind is None:
                guess = _infer(value) if value is not None else None
                if guess and present.get(column, guess) != guess:
                    guess = "VARCHAR" if "JSON" not in (guess, present[column]) else "JSON"
                present[column] = guess or present.get(column, "VARCHAR")
                continue
            try:
                _check_value(column, kind, value)
            except ValueError as exc:
                raise InputError(str(exc), path=path, line=number) from None
            present[column] = kind
    return present


def _validate_csv(path: Path, known: dict[str, str]) -> dict[str, str]:
    """Check every row's width and typed values; return the header's columns and types."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if not header:
                raise InputError("empty CSV: expected a header row", path=path, line=1)
            for row in reader:
                if not row:
                    continue
                if len(row) != len(header):
                    raise InputError(f"expected {len(header)} fields, found {len(row)}",
                                     path=path, line=reader.line_num)
                for column, value in zip(header, row):
                    if column in known:
                        try:
                            _check_value(column, known[column], value)
                        except ValueError as exc:
                            raise InputError(str(exc), path=path, line=reader.line_num) from None
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", path=path) from None
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=path) from None
    return {column: known.get(column, "VARCHAR") for column in header}

"""Reading the user's CSV files with errors that name the file and line."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterator, Sequence

from hunting.errors import InputError


def read_rows(path: Path, required: Sequence[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for each data row; every required column must be in the header.

    Raises:
        InputError: unreadable file, missing column, or a row of the wrong width.
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = [h.strip() for h in next(reader, [])]
            missing = [c for c in required if c not in header]
            if missing:
                raise InputError(f"missing column(s): {', '.join(missing)}", path=path, line=1)
            for row in reader:
                if not row or not any(cell.strip() for cell in row):
                    continue
                if len(row) != len(header):
                    raise InputError(f"expected {len(header)} fields, found {len(row)}", path=path, line=reader.line_num)
                yield reader.line_num, {k: v.strip() for k, v in zip(header, row)}
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", path=path) from None
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", path=path) from None

"""Dates written another way than ISO, read with an explicit ``date_format`` (a strftime
pattern such as ``%d/%m/%Y``) of the ``dir`` source: strictly, every value that does not
match named with its file, row and column — never guessed month-first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import attrs
import numpy as np
import pandas as pd

from indexsmith.data.schema import MAX_PROBLEMS, SCHEMA
from indexsmith.errors import DataError, Problem


def is_date_format(_: object, attribute: attrs.Attribute[str | None], value: str | None) -> None:
    """A pattern that writes and reads back a date (day, month and year) unchanged."""
    if value is None:
        return
    sample = dt.date(2024, 1, 31)
    try:
        ok = dt.datetime.strptime(sample.strftime(value), value).date() == sample
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(
            f"date_format {value[:40]!r} is not a strftime pattern with the day, month and year "
            "(such as '%d/%m/%Y' or '%m/%d/%Y')"
        )


def parse_dates(
    frames: Mapping[str, pd.DataFrame], file_names: Mapping[str, str], date_format: str, where: str
) -> dict[str, pd.DataFrame]:
    """The date columns written as text read with ``date_format``, strictly: every value
    that does not match it is a problem naming its file, row and column. Columns already
    stored as dates (Parquet) are taken as they are."""
    problems: list[Problem] = []
    out = dict(frames)
    example = dt.date(2024, 1, 31).strftime(date_format)
    for table, frame in frames.items():
        columns = [c.name for c in SCHEMA[table] if c.dtype == "date" and c.name in frame.columns]
        for column in columns:
            raw = frame[column]
            if pd.api.types.is_datetime64_any_dtype(raw):
                continue
            text = (
                raw.astype(object).where(raw.notna(), None).map(lambda v: v if v is None else str(v).strip())
            )
            values = pd.to_datetime(text, errors="coerce", format=date_format).astype("datetime64[ns]")
            for i in np.flatnonzero(values.isna().to_numpy() & text.notna().to_numpy())[:MAX_PROBLEMS]:
                problems.append(
                    Problem(
                        f"column '{column}' has {str(text.iloc[i])[:40]!r}, not a date written {date_format}",
                        f"{file_names.get(table, table)} row {i + 1}",
                        f"write it as {date_format} (31 January 2024 is {example}), or change --param date_format",
                    )
                )
            out[table] = out[table].assign(**{column: values.to_numpy()})
    if problems:
        raise DataError(problems[:MAX_PROBLEMS], source=where)
    return out

"""UTCDateTime's one-step SQLite conversion writes the text SQLAlchemy's own two steps write
(process_bind_param, then SQLite's DATETIME storage format), so dates stored by either compare
and sort alike, and it reads back the moment it was given."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from sqlalchemy import Column, Integer, MetaData, Table, TypeDecorator, create_engine, select
from sqlalchemy.dialects import sqlite

from quiz.store.tables import UTCDateTime


def _moments(count: int) -> list[datetime]:
    rng = np.random.default_rng(7)
    first = datetime(1970, 1, 1, tzinfo=timezone.utc)
    seconds = rng.integers(0, int((datetime(2200, 1, 1, tzinfo=timezone.utc) - first)
                                  .total_seconds()), count)
    micros = np.where(rng.random(count) < 0.3, 0, rng.integers(0, 1_000_000, count))
    offsets = rng.integers(-14 * 60, 14 * 60, count)
    return [(first + timedelta(seconds=int(s), microseconds=int(u)))
            .astimezone(timezone(timedelta(minutes=int(m))))
            for s, u, m in zip(seconds, micros, offsets, strict=True)]


EDGES = [datetime(1970, 1, 1, tzinfo=timezone.utc),
         datetime(2199, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc),
         datetime(2026, 3, 1, 0, 30, tzinfo=timezone(timedelta(hours=5, minutes=30)))]


def test_one_step_writes_what_the_two_steps_write() -> None:
    dialect = sqlite.dialect()
    kind = UTCDateTime()
    one_step = kind.dialect_impl(dialect).bind_processor(dialect)
    two_steps = TypeDecorator.bind_processor(kind.dialect_impl(dialect), dialect)
    assert one_step is not None and two_steps is not None
    for moment in [*EDGES, *_moments(5000), None]:
        assert one_step(moment) == two_steps(moment), moment


def test_a_naive_datetime_is_refused() -> None:
    dialect = sqlite.dialect()
    process = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert process is not None
    with pytest.raises(ValueError, match="naive"):
        process(datetime(2026, 1, 1))


def test_stored_moments_read_back_equal_and_in_order() -> None:
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True),
                  Column("at", UTCDateTime))
    engine = create_engine("sqlite://")
    table.metadata.create_all(engine)
    moments = [*EDGES, *_moments(500)]
    with engine.begin() as connection:
        connection.execute(table.insert(), [{"id": n, "at": m} for n, m in enumerate(moments)])
        read = dict(connection.execute(select(table.c.id, table.c.at)).all())
        ordered = connection.scalars(select(table.c.id).order_by(table.c.at, table.c.id)).all()
    assert [read[n] for n in range(len(moments))] == moments
    assert ordered == sorted(range(len(moments)), key=lambda n: (moments[n], n))

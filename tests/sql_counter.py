"""Counting the SQL statements Tortoise sends: the benchmark's case 3 and
`tests/test_query_counts.py` both read them (counts, never timings)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager


class SqlStatements(logging.Handler):
    """Collects the statements Tortoise logs on `tortoise.db_client` (not its connection
    messages)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if not message.startswith(("Created connection", "Closed connection")):
            self.statements.append(message)


@contextmanager
def counting_sql() -> Iterator[SqlStatements]:
    """Every SQL statement Tortoise sends while the block runs."""
    logger = logging.getLogger("tortoise.db_client")
    counter = SqlStatements()
    level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(counter)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        logger.setLevel(level)

"""Per-request loaders: each batches what a whole page needs into one SQL query."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from models.enrollments import Trainee
from schema.context import Context
from services import history

K = TypeVar("K")
V = TypeVar("V")


def _loader(
    context: Context,
    name: str,
    batch: Callable[[Sequence[Any]], Coroutine[Any, Any, dict[Any, V]]],
) -> DataLoader[Any, V]:
    loader = context.cache.get(name)
    if loader is None:

        async def load(keys: list[Any]) -> list[V]:
            found = await batch(keys)
            return [found[key] for key in keys]

        loader = DataLoader(load_fn=load)
        context.cache[name] = loader
    return loader


def documents_loader(context: Context) -> DataLoader[int, list[history.DocumentRow]]:
    """Enrollment id -> the documents the viewer may read on it (policy-filtered in SQL)."""
    return _loader(
        context,
        "documents",
        lambda ids: history.documents_of(context.policy, context.viewer, ids),
    )


def trainees_loader(context: Context) -> DataLoader[int, list[Trainee]]:
    return _loader(context, "trainees", history.trainees_of)

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


def batched(
    context: Context,
    name: str,
    batch: Callable[[Sequence[Any]], Coroutine[Any, Any, dict[Any, V]]],
) -> DataLoader[Any, V]:
    """The request's loader `name`, created on first use around `batch` (keys -> a dict).

    `batch` must not hold the context: the context holds the loader, and that cycle would
    keep everything the loader loaded (8,000 documents on an export) alive until the
    garbage collector's next full pass instead of freeing it with the request.
    """
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
    policy, viewer = context.policy, context.viewer
    return batched(context, "documents", lambda ids: history.documents_of(policy, viewer, ids))


def trainees_loader(context: Context) -> DataLoader[int, list[Trainee]]:
    return batched(context, "trainees", history.trainees_of)


# Names of the fields of `Enrollment` that read the documents loader.
DOCUMENT_FIELDS = frozenset(
    {
        "documents",
        "invoiceCopy",
        "trainingAgreement",
        "attendanceSheet",
        "evaluation",
        "certificateOfAttendance",
        "fundingApproval",
        "purchaseOrder",
        "signedQuote",
    }
)


def selects_any(selections: Sequence[Any], names: frozenset[str]) -> bool:
    """True when one of these field names appears anywhere in the selection (fragments
    included). Erring on yes only costs a query the page would have made anyway."""
    for selection in selections:
        if getattr(selection, "name", None) in names:
            return True
        if selects_any(getattr(selection, "selections", None) or (), names):
            return True
    return False


async def prefetch_documents(context: Context, enrollment_ids: Sequence[int]) -> None:
    """Load the documents of a whole page up front (the same single query the loader would
    run), so that each enrollment's document fields resolve without awaiting: on a
    1,000-row page that spares a thousand coroutines, futures and loader tasks."""
    found = await history.documents_of(context.policy, context.viewer, enrollment_ids)
    documents_loader(context).prime_many(found)


def loaded_documents(context: Context, enrollment_id: int) -> list[history.DocumentRow] | None:
    """The documents of this enrollment if already loaded for this request, else None."""
    loader = context.cache.get("documents")
    future = loader.cache_map.get(enrollment_id) if loader is not None else None
    if future is None or not future.done() or future.cancelled() or future.exception():
        return None
    return future.result()  # type: ignore[no-any-return]

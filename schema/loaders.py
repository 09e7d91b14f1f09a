"""Per-request loaders: each batches what a whole page needs into one SQL query.

`Loaders` is built with the request's context (`info.context.loaders.documents.load(id)`);
each loader is created on first use, so a request pays only for those it reads.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from strawberry.dataloader import DataLoader

from models.access import Access, AdminAccessRequest, Invitation
from models.catalog import Course
from models.companies import Establishment
from models.enrollments import Invoice, PostponementRequest, Trainee
from policies.engine import Policy, Viewer
from services import access, catalog, enrollments, history, own_company, pricing
from services import access_flags as flags
from services import invitations as invitation_service

if TYPE_CHECKING:
    from schema.context import Context

K = TypeVar("K")
V = TypeVar("V")


def _loader(batch: Callable[[list[K]], Coroutine[Any, Any, dict[K, V]]]) -> DataLoader[K, V]:
    """A loader around `batch` (keys -> a dict by key).

    `batch` must not hold the context nor the `Loaders`: they hold the loader, and that
    cycle would keep everything the loader loaded (8,000 documents on an export) alive until
    the garbage collector's next full pass instead of freeing it with the request. Close over
    the policy and the viewer instead.
    """

    async def load(keys: list[K]) -> list[V]:
        found = await batch(keys)
        return [found[key] for key in keys]

    return DataLoader(load_fn=load)


async def _discounts_of(company_ids: Sequence[int | None]) -> dict[int | None, pricing.Discount]:
    return {company_id: await pricing.framework_discount(company_id) for company_id in company_ids}


class Loaders:
    """The request's loaders, by what they load; each is created on first use."""

    def __init__(self, policy: Policy, viewer: Viewer | None) -> None:
        self._policy = policy
        self._viewer = viewer

    @cached_property
    def documents(self) -> DataLoader[int, list[history.DocumentRow]]:
        """Enrollment id -> the documents the viewer may read on it (policy-filtered in SQL)."""
        policy, viewer = self._policy, self._viewer
        return _loader(lambda ids: history.documents_of(policy, viewer, ids))

    @cached_property
    def trainees(self) -> DataLoader[int, list[Trainee]]:
        """Enrollment id -> its trainees."""
        return _loader(history.trainees_of)

    @cached_property
    def accesses(self) -> DataLoader[int, list[Access]]:
        """Establishment id -> the accesses the viewer may read there."""
        policy, viewer = self._policy, self._viewer
        return _loader(lambda ids: access.accesses_of(policy, viewer, ids))

    @cached_property
    def invitations(self) -> DataLoader[int, list[Invitation]]:
        """Establishment id -> its pending invitations the viewer may read."""
        policy, viewer = self._policy, self._viewer
        return _loader(lambda ids: invitation_service.pending_invitations_of(policy, viewer, ids))

    @cached_property
    def pending_admin_requests(self) -> DataLoader[int, list[AdminAccessRequest]]:
        """Establishment id -> its PENDING admin access requests the viewer may read."""
        policy, viewer = self._policy, self._viewer
        return _loader(lambda ids: access.pending_admin_requests_of(policy, viewer, list(ids)))

    @cached_property
    def manage_flags(self) -> DataLoader[int, bool]:
        """Establishment id -> whether the viewer may manage its accesses."""
        policy, viewer = self._policy, self._viewer
        return _loader(lambda ids: flags.manage_flags(policy, viewer, ids))

    @cached_property
    def access_flags(self) -> DataLoader[int, flags.AccessFlags]:
        """Access id -> what the viewer may do to it."""
        policy, viewer = self._policy, self._viewer
        return _loader(lambda ids: flags.access_flags(policy, viewer, ids))

    @cached_property
    def courses(self) -> DataLoader[int, Course]:
        """Course id -> the course with its sessions."""
        return _loader(catalog.courses_by_id)

    @cached_property
    def establishments(self) -> DataLoader[int, Establishment | None]:
        """Establishment id -> the establishment, None when the viewer may not read it."""
        policy, viewer = self._policy, self._viewer
        return _loader(lambda ids: own_company.readable_establishments(policy, viewer, ids))

    @cached_property
    def pending_postponements(self) -> DataLoader[int, PostponementRequest | None]:
        """Enrollment id -> the postponement request waiting for an answer, or None."""
        return _loader(enrollments.pending_postponements_of)

    @cached_property
    def invoices(self) -> DataLoader[int, list[Invoice]]:
        """Enrollment id -> the invoices the viewer may read on it."""
        policy, viewer = self._policy, self._viewer
        return _loader(lambda ids: enrollments.invoices_of(policy, viewer, ids))

    @cached_property
    def discounts(self) -> DataLoader[int | None, pricing.Discount]:
        """Company id -> its discount in force: the whole catalog costs one lookup."""
        return _loader(_discounts_of)

    @cached_property
    def priced_company(self) -> int | None:
        """Not a loader: the company whose prices this viewer sees, computed once."""
        return pricing.priced_company(self._policy, self._viewer)

    def created(self) -> dict[str, DataLoader[Any, Any]]:
        """The loaders created so far, by attribute name, in order of creation."""
        return {name: value for name, value in vars(self).items() if isinstance(value, DataLoader)}

    def clear(self) -> None:
        """Forget every loader and memo, and with them the rows they hold."""
        for name in [name for name in vars(self) if not name.startswith("_")]:
            delattr(self, name)


def documents_loader(context: Context) -> DataLoader[int, list[history.DocumentRow]]:
    return context.loaders.documents


def trainees_loader(context: Context) -> DataLoader[int, list[Trainee]]:
    return context.loaders.trainees


def selects_any(selections: Sequence[Any], names: frozenset[str]) -> bool:
    """True when one of these field names appears anywhere in the selection (fragments
    included). Erring on yes only costs a query the page would have made anyway."""
    for selection in selections:
        if getattr(selection, "name", None) in names:
            return True
        if selects_any(getattr(selection, "selections", None) or (), names):
            return True
    return False


async def prefetch_documents(
    context: Context,
    enrollment_ids: Sequence[int],
    read: Mapping[int, history.EnrollmentRow] | None = None,
) -> None:
    """Load the documents of a whole page up front (the same single query the loader would
    run), so that each enrollment's document fields resolve without awaiting: on a
    1,000-row page that spares a thousand coroutines, futures and loader tasks. `read`: the
    page's rows, when at hand (see `history.documents_of`)."""
    found = await history.documents_of(context.policy, context.viewer, enrollment_ids, read)
    context.loaders.documents.prime_many(found)


def loaded_documents(context: Context, enrollment_id: int) -> list[history.DocumentRow] | None:
    """The documents of this enrollment if already loaded for this request, else None."""
    loader = context.loaders.created().get("documents")
    future = loader.cache_map.get(enrollment_id) if loader is not None else None
    if future is None or not future.done() or future.cancelled() or future.exception():
        return None
    return future.result()

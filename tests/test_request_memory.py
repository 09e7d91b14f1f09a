"""What a request loaded is freed when the request ends, by reference counting, not left in
reference cycles for the garbage collector's next full pass: such a pass over an
export's 8,000 documents holds every request of the process for tens of milliseconds.

- Through the real app, a page's enrollment and document rows and the request's loaders are
  neither alive after the response nor cyclic garbage. (The request's `Context` itself still
  is: graphql-core's executor sits in a cycle that holds it; the view empties the context's
  loaders once the operation is answered, which is what frees the rows.)
- The loaders never hold the context they live in (no context -> loader -> closure ->
  context cycle): dropping a context frees its loaders and their rows at once.
- A page that selects documents primes the documents loader: each enrollment's documents
  resolve from it, without a second SQL query on documents and without awaiting the loader.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from strawberry.dataloader import DataLoader

from models.enrollments import Enrollment
from models.enums import AccessRole, DocumentKind
from policies.engine import Policy
from schema.access import _accesses_loader
from schema.context import Context
from schema.enrollments import EnrollmentType
from schema.loaders import documents_loader, prefetch_documents, trainees_loader
from services.history import CourseRow, DocumentRow, EnrollmentRow, SessionRow
from services.login_sessions import viewer_for_account
from tests import factories
from tests.graphql import gql
from tests.sql_counter import counting_sql
from tests.test_query_counts import _history

ROWS = 40
PAGE = """
query Page($first: Int) {
  enrollments(first: $first) { edges { node { id documents { id kind } } } }
}
"""
# What a page loads: none of it may outlive the request.
LOADED = (DocumentRow, EnrollmentRow, SessionRow, CourseRow, DataLoader)


def _loaded(objects: list[Any]) -> dict[str, int]:
    """How many of these objects are rows or loaders a request made, by type."""
    found: dict[str, int] = {}
    for obj in objects:
        if isinstance(obj, LOADED):
            name = type(obj).__name__
            found[name] = found.get(name, 0) + 1
    return found


@contextmanager
def collector_off() -> Iterator[None]:
    """The garbage collector does not run in the block (only reference counting frees
    anything); `cyclic_garbage()` then lists what only a collection would have freed."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
        gc.collect()  # what was saved above is cyclic garbage still: free it now


def cyclic_garbage() -> list[Any]:
    """The objects that only the garbage collector could free (kept, not freed, here)."""
    gc.set_debug(gc.DEBUG_SAVEALL)
    gc.collect()
    garbage = list(gc.garbage)
    gc.set_debug(0)
    gc.garbage.clear()
    return garbage


async def _admin_with_history() -> tuple[Any, Any, str]:
    """Claire, ADMIN of a site with ROWS enrollments of eight documents each."""
    site = await factories.establishment(name="Acme Lille")
    claire = await factories.account("claire@acme.example")
    await factories.access(claire, site, AccessRole.ADMIN)
    await _history(site, ROWS)
    return site, claire, await factories.token_for(claire)


async def test_a_page_s_rows_and_loaders_are_freed_when_the_request_ends(client) -> None:
    _, _, token = await _admin_with_history()
    # Warm-up: the first request fills the process's caches (parsed queries, policy).
    assert (await gql(client, PAGE, {"first": ROWS}, token=token)).ok()

    with collector_off():
        before = _loaded(gc.get_objects())
        result = await gql(client, PAGE, {"first": ROWS}, token=token)
        edges = result.ok()["enrollments"]["edges"]
        assert len(edges) == ROWS
        assert all(len(edge["node"]["documents"]) == len(DocumentKind) for edge in edges)
        del result, edges

        # Not one row or loader survives the response...
        assert _loaded(gc.get_objects()) == before
        # ...and none was waiting for the collector either.
        assert _loaded(cyclic_garbage()) == {}


async def test_dropping_a_context_frees_its_loaders_and_their_rows_at_once() -> None:
    """The loaders (documents, trainees, accesses) close over the policy and the viewer, not
    over the context that holds them."""
    site, claire, _ = await _admin_with_history()
    ids = list(await Enrollment.filter(establishment=site).values_list("id", flat=True))
    viewer = await viewer_for_account(claire)

    with collector_off():
        context = Context(request=None, policy=Policy(), account=claire, viewer=viewer)
        await prefetch_documents(context, ids[:-1])
        # The last one is not prefetched: the loader's own batch function runs for it.
        assert len(await documents_loader(context).load(ids[-1])) == len(DocumentKind)
        assert await trainees_loader(context).load(ids[0]) == []
        assert len(await _accesses_loader(context).load(site.id)) == 1
        loaders = list(context.cache.values())
        assert len(loaders) == 3 and all(isinstance(x, DataLoader) for x in loaders)
        assert all(loaders[0].cache_map.get(i) is not None for i in ids)  # all loaded
        freed = [weakref.ref(context), *(weakref.ref(loader) for loader in loaders)]
        del context, loaders

        assert [ref() for ref in freed] == [None] * len(freed)
        garbage = cyclic_garbage()
        assert _loaded(garbage) == {}
        assert not [obj for obj in garbage if isinstance(obj, Context)]


async def test_a_page_with_documents_reads_them_in_one_query_and_resolves_them_at_once(
    client, monkeypatch
) -> None:
    _, _, token = await _admin_with_history()
    awaited: list[int] = []
    load_documents = EnrollmentType._load_documents

    def counting(self: EnrollmentType, info: Any) -> Any:
        awaited.append(self.model.id)
        return load_documents(self, info)

    monkeypatch.setattr(EnrollmentType, "_load_documents", counting)

    with counting_sql() as sql:
        data = (await gql(client, PAGE, {"first": ROWS}, token=token)).ok()

    edges = data["enrollments"]["edges"]
    assert len(edges) == ROWS
    assert all(len(edge["node"]["documents"]) == len(DocumentKind) for edge in edges)
    on_documents = [s for s in sql.statements if 'FROM "document"' in s]
    assert len(on_documents) == 1, on_documents
    assert awaited == []

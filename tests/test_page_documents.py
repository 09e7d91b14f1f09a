"""The documents of a page are chosen on the page's own rows (issue 20).

A page already read its enrollments, so `services.history.documents_of` reads the policy's
document condition on each row's values (`Policy.filter_by_parents`) instead of joining the
enrollment table: one query by enrollment and kind. The answer must be exactly the one the
join gives, for every kind of viewer, whatever the policy in force says (the walk-through run
edits it): these tests compare the two ways, they do not restate the rules.
"""

from __future__ import annotations

import pytest

from models.enums import AccessRole, AccountKind, DocumentKind
from policies.engine import Policy, Viewer
from services import history
from services.login_sessions import viewer_for_account
from tests import factories
from tests.sql_counter import counting_sql


async def _viewers() -> dict[str, Viewer]:
    """Claire (admin of Acme Lyon, registrant of an individual order), Samuel (standard on
    Acme Paris with invoice copies, registrant of one Lyon order), Ursula (unverified
    registrant), Sophie (staff), and orders of all of them and of strangers, each with one
    document of every kind."""
    lyon, paris = await factories.establishment(name="Lyon"), await factories.establishment()
    claire = await factories.account("claire@acme.example")
    samuel = await factories.account("samuel@acme.example")
    ursula = await factories.account("ursula@example.com", verified=False)
    sophie = await factories.account("sophie@espace.example", is_staff=True)
    await factories.access(claire, lyon, AccessRole.ADMIN)
    await factories.access(samuel, paris, AccessRole.STANDARD, kinds=[DocumentKind.INVOICE_COPY])
    session = await factories.course_session()
    orders = [
        (lyon, "buyer@lyon.example"),
        (lyon, "samuel@acme.example"),
        (paris, "buyer@paris.example"),
        (paris, "ursula@example.com"),
        (None, "claire@acme.example"),
        (None, "stranger@example.com"),
        (await factories.establishment(), "other@elsewhere.example"),
    ]
    for site, email in orders:
        enrollment = await factories.enrollment(registrant_email=email, site=site, session=session)
        for kind in DocumentKind:
            await factories.document(enrollment, kind)
    people = {"claire": claire, "samuel": samuel, "ursula": ursula, "sophie": sophie}
    return {name: await viewer_for_account(account) for name, account in people.items()}


@pytest.mark.parametrize("who", ["claire", "samuel", "ursula", "sophie"])
async def test_a_page_s_documents_are_those_the_join_gives_without_the_join(who: str) -> None:
    viewer = (await _viewers())[who]
    policy = Policy()
    page = await history.history_page(policy, viewer, history.HistoryFilter(), 50)
    rows = {row.id: row for row in page.enrollments}
    # Every enrollment, readable or not: the document rule does not lean on the page's.
    everything = await history.history_page(
        policy,
        await viewer_for_account(await factories.account(is_staff=True)),
        history.HistoryFilter(),
        50,
    )
    all_rows = {row.id: row for row in everything.enrollments}
    for chosen in (rows, all_rows):
        ids = list(chosen)
        with counting_sql() as sql:
            by_rows = await history.documents_of(policy, viewer, ids, chosen)
        joined = await history.documents_of(policy, viewer, ids)
        assert by_rows == joined
        assert len(sql.statements) <= 1
        assert all(" JOIN " not in statement for statement in sql.statements), sql.statements
    # The viewer sees documents on their page exactly where the page shows the kind.
    shown = await history.documents_of(policy, viewer, list(rows), rows)
    for row_id, documents in shown.items():
        assert sorted({d.kind for d in documents}) == sorted(
            kind.value for kind in page.visible_kinds[row_id]
        )


async def test_rows_the_caller_did_not_read_fall_back_to_the_join() -> None:
    viewers = await _viewers()
    policy = Policy()
    page = await history.history_page(policy, viewers["claire"], history.HistoryFilter(), 50)
    ids = [row.id for row in page.enrollments]
    partial = {page.enrollments[0].id: page.enrollments[0]}
    with counting_sql() as sql:
        found = await history.documents_of(policy, viewers["claire"], ids, partial)
    assert found == await history.documents_of(policy, viewers["claire"], ids)
    assert " JOIN " in sql.statements[0]


async def test_an_individual_s_own_order_shows_its_documents_to_them() -> None:
    """A null establishment is left to the SQL, where null compares as in the join."""
    person = await factories.account("ines@example.com", kind=AccountKind.INDIVIDUAL)
    own = await factories.enrollment(registrant_email="ines@example.com")
    await factories.document(own, DocumentKind.CERTIFICATE_OF_ATTENDANCE)
    viewer = await viewer_for_account(person)
    policy = Policy()
    page = await history.history_page(policy, viewer, history.HistoryFilter(), 10)
    rows = {row.id: row for row in page.enrollments}
    assert await history.documents_of(policy, viewer, list(rows), rows) == (
        await history.documents_of(policy, viewer, list(rows))
    )

"""Property test: random establishments, accesses, document-kind selections and enrollments;
the GraphQL answers match a plain-Python model of rules 4-9, written here from DESIGN.md and
independently of the Polar policy. Every list also equals the set of its items that the
single-object query allows.

The model (for one viewer):
- an enrollment is visible to staff, to the account whose login e-mail is its registrant
  e-mail once that address is verified (rules 4, 5: until then anyone could have typed it),
  and to anyone with an access (ADMIN or STANDARD) to its establishment (rules 6, 7);
- every document kind is visible to staff, to the (verified) registrant and to an ADMIN of its
  establishment; a STANDARD access adds only the kinds it lists (rule 7); rights add up;
- an establishment is visible to staff and to whoever has an access to it; its accesses only
  to its admins and staff (rule 6);
- an access works only for an account whose address is verified (anyone can sign
  up with an address they do not control).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from models.documents import Document
from models.enums import AccessRole, DocumentKind
from tests import factories
from tests.conftest import empty_tables
from tests.graphql import GraphQLResult, gql

KINDS = list(DocumentKind)
EMAILS = ["ana@x.example", "ben@x.example", "cleo@x.example", "dan@x.example"]
# Dan never gets an account: enrollments typed with his address belong to nobody's history.
ACCOUNT_EMAILS = EMAILS[:3]


def field_name(kind: DocumentKind) -> str:
    first, *rest = kind.value.lower().split("_")
    return first + "".join(word.title() for word in rest)


KIND_FIELDS = {field_name(k): k for k in KINDS}

# -- the random world ----------------------------------------------------------------------

# Small selections tell "this kind" from "every kind" apart more often than large ones.
kind_sets = st.frozensets(st.sampled_from(KINDS), max_size=3)
access_specs = st.one_of(
    st.none(), st.just(("ADMIN", frozenset())), st.tuples(st.just("STANDARD"), kind_sets)
)


@dataclass(frozen=True)
class EnrollmentSpec:
    establishment: int | None  # index, or None for an individual's order
    registrant: str
    kinds: frozenset[DocumentKind]  # documents issued


@dataclass(frozen=True)
class WorldSpec:
    establishments: int
    staff: str  # which account is staff ("" for none)
    unverified: frozenset[str]  # accounts whose owner has not proved their address yet
    accesses: dict[tuple[str, int], tuple[str, frozenset[DocumentKind]]]
    enrollments: list[EnrollmentSpec]


@st.composite
def worlds(draw: st.DrawFn) -> WorldSpec:
    count = draw(st.integers(min_value=1, max_value=3))
    accesses = {}
    for email in ACCOUNT_EMAILS:
        for site in range(count):
            spec = draw(access_specs)
            if spec is not None:
                accesses[(email, site)] = spec
    enrollments = draw(
        st.lists(
            st.builds(
                EnrollmentSpec,
                establishment=st.one_of(st.none(), st.integers(0, count - 1)),
                registrant=st.sampled_from(EMAILS),
                kinds=st.frozensets(st.sampled_from(KINDS), max_size=4),
            ),
            max_size=5,
        )
    )
    staff = draw(st.sampled_from(["", *ACCOUNT_EMAILS]))
    unverified = draw(st.frozensets(st.sampled_from(ACCOUNT_EMAILS), max_size=2))
    return WorldSpec(count, staff, unverified, accesses, enrollments)


# -- the plain-Python model of rules 4-9 -----------------------------------------------------


def is_registrant(world: WorldSpec, viewer: str, e: EnrollmentSpec) -> bool:
    return e.registrant == viewer and viewer not in world.unverified


def access_of(world: WorldSpec, viewer: str, site: int | None) -> tuple[str, frozenset[Any]]:
    """The viewer's working access to a site: none while their address is not verified."""
    if site is None or viewer in world.unverified:
        return ("", frozenset())
    return world.accesses.get((viewer, site), ("", frozenset()))


def model_sees_enrollment(world: WorldSpec, viewer: str, e: EnrollmentSpec) -> bool:
    if viewer == world.staff:
        return True
    if is_registrant(world, viewer, e):
        return True
    return access_of(world, viewer, e.establishment)[0] != ""


def model_kinds(world: WorldSpec, viewer: str, e: EnrollmentSpec) -> set[DocumentKind]:
    if viewer == world.staff or is_registrant(world, viewer, e):
        return set(KINDS)
    if e.establishment is None:
        return set()
    role, kinds = access_of(world, viewer, e.establishment)
    if role == "ADMIN":
        return set(KINDS)
    return set(kinds)


def model_sees_establishment(world: WorldSpec, viewer: str, site: int) -> bool:
    return viewer == world.staff or access_of(world, viewer, site)[0] != ""


def model_sees_accesses(world: WorldSpec, viewer: str, site: int) -> bool:
    return viewer == world.staff or access_of(world, viewer, site)[0] == "ADMIN"


# -- building it for real ---------------------------------------------------------------------


@dataclass
class Built:
    tokens: dict[str, str]
    site_ids: list[int]
    enrollment_ids: list[int]  # in the order of the spec
    documents: dict[int, dict[DocumentKind, int]]  # enrollment id -> kind -> document id
    access_ids: dict[int, set[str]]  # site id -> access ids


async def build(world: WorldSpec) -> Built:
    company = await factories.company()
    sites = [await factories.establishment(company) for _ in range(world.establishments)]
    people = {
        email: await factories.account(
            email, is_staff=(email == world.staff), verified=email not in world.unverified
        )
        for email in ACCOUNT_EMAILS
    }
    access_ids: dict[int, set[str]] = {s.id: set() for s in sites}
    for (email, index), (role, kinds) in world.accesses.items():
        row = await factories.access(people[email], sites[index], AccessRole(role), sorted(kinds))
        access_ids[sites[index].id].add(str(row.id))
    session = await factories.course_session()
    enrollment_ids: list[int] = []
    documents: dict[int, dict[DocumentKind, int]] = {}
    for spec in world.enrollments:
        site = sites[spec.establishment] if spec.establishment is not None else None
        row = await factories.enrollment(
            registrant_email=spec.registrant, site=site, session=session
        )
        enrollment_ids.append(row.id)
        documents[row.id] = {}
        for kind in sorted(spec.kinds):
            document = await Document.create(
                enrollment=row,
                kind=kind.value,
                filename=f"{row.reference}-{kind.value}.pdf",
                size=1,
                checksum="0" * 64,
            )
            documents[row.id][kind] = document.id
    return Built(
        tokens={email: await factories.token_for(p) for email, p in people.items()},
        site_ids=[s.id for s in sites],
        enrollment_ids=enrollment_ids,
        documents=documents,
        access_ids=access_ids,
    )


NODE = "id visibleDocumentKinds documents { id kind } " + " ".join(
    f"{name} {{ id kind }}" for name in KIND_FIELDS
)
# The single-object query asks for what decides visibility; the per-kind fields are the same
# resolvers as in the list, checked there against the model.
SINGLE = "id visibleDocumentKinds documents { id kind }"
LIST = f"enrollments(first: 100) {{ totalCount edges {{ node {{ {NODE} }} }} }}"
SITES = "establishments { id accesses { id } }"


def aliased(prefix: str, field: str, ids: list[int], selection: str) -> str:
    """`field(id: …)` for every id, each under its own alias `<prefix><id>`."""
    return " ".join(f"{prefix}{i}: {field}(id: {i}) {{ {selection} }}" for i in ids)


def singles(result: GraphQLResult, prefix: str, ids: list[int]) -> dict[int, dict[str, Any] | None]:
    """The answers of `aliased(...)`: id -> answer, None only with NOT_FOUND."""
    answers = {}
    for i in ids:
        answer = (result.data or {})[f"{prefix}{i}"]
        if answer is None:
            assert result.code_at(f"{prefix}{i}") == "NOT_FOUND", result.errors
        answers[i] = answer
    return answers


def expected_node(world: WorldSpec, built: Built, viewer: str, index: int) -> dict[str, Any]:
    spec = world.enrollments[index]
    enrollment_id = built.enrollment_ids[index]
    kinds = model_kinds(world, viewer, spec)
    issued = built.documents[enrollment_id]
    node: dict[str, Any] = {
        "id": str(enrollment_id),
        "visibleDocumentKinds": sorted(k.value for k in kinds),
        "documents": sorted(
            ({"id": str(doc), "kind": kind.value} for kind, doc in issued.items() if kind in kinds),
            key=lambda d: d["id"],
        ),
    }
    for name, kind in KIND_FIELDS.items():
        visible = kind in kinds and kind in issued
        node[name] = {"id": str(issued[kind]), "kind": kind.value} if visible else None
    return node


def normalized(node: dict[str, Any]) -> dict[str, Any]:
    """A node with its lists in a fixed order (order is not what this test is about)."""
    return {
        **node,
        "visibleDocumentKinds": sorted(node["visibleDocumentKinds"]),
        "documents": sorted(node["documents"], key=lambda d: d["id"]),
    }


@settings(
    max_examples=25,
    deadline=None,
    # Each example builds a database: shrinking a failure would take minutes, so a failing
    # world is reported as found (printed by `note`), not shrunk.
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=worlds())
async def test_graphql_answers_match_the_model_of_rules_4_to_9(client, world: WorldSpec):
    note(f"world: {world!r}")
    await empty_tables()
    built = await build(world)
    all_documents = [doc for by_kind in built.documents.values() for doc in by_kind.values()]
    for viewer in ACCOUNT_EMAILS:
        note(f"viewer: {viewer}")
        token = built.tokens[viewer]
        expected = {
            str(built.enrollment_ids[i]): expected_node(world, built, viewer, i)
            for i, spec in enumerate(world.enrollments)
            if model_sees_enrollment(world, viewer, spec)
        }

        # One request (within the schema's alias and token limits) asks for the lists and
        # for every enrollment and establishment one by one.
        result = await gql(
            client,
            "{ "
            + " ".join(
                [
                    LIST,
                    SITES,
                    aliased("e", "enrollment", built.enrollment_ids, SINGLE),
                    aliased("s", "establishment", built.site_ids, "id"),
                ]
            )
            + " }",
            token=token,
        )
        assert result.data is not None, result.errors
        assert set(result.codes) <= {"NOT_FOUND", "FORBIDDEN"}

        # The list matches the model, and so does its total.
        page = result.data["enrollments"]
        listed = {edge["node"]["id"]: normalized(edge["node"]) for edge in page["edges"]}
        assert listed == expected, viewer
        assert page["totalCount"] == len(expected)

        # Each single-object query agrees with the list: found exactly for listed ids.
        found = singles(result, "e", built.enrollment_ids)
        assert {str(i): normalized(a) for i, a in found.items() if a is not None} == {
            key: {name: node[name] for name in ("id", "visibleDocumentKinds", "documents")}
            for key, node in listed.items()
        }

        # A document may be fetched alone exactly when a visible enrollment lists it.
        fetchable = set()
        for start in range(0, len(all_documents), 15):
            part = all_documents[start : start + 15]
            docs = await gql(
                client, "{ " + aliased("d", "document", part, "id") + " }", token=token
            )
            fetchable |= {str(i) for i, a in singles(docs, "d", part).items() if a is not None}
        listed_docs = {d["id"] for node in listed.values() for d in node["documents"]}
        assert fetchable == listed_docs

        # Establishments: the list, the single query and the accesses field.
        sites = result.data["establishments"]
        visible_sites = {
            str(site_id)
            for index, site_id in enumerate(built.site_ids)
            if model_sees_establishment(world, viewer, index)
        }
        assert {s["id"] for s in sites} == visible_sites
        single_sites = singles(result, "s", built.site_ids)
        assert {str(i) for i, answer in single_sites.items() if answer} == visible_sites
        for site in sites:
            index = built.site_ids.index(int(site["id"]))
            if model_sees_accesses(world, viewer, index):
                assert {a["id"] for a in site["accesses"]} == built.access_ids[int(site["id"])]
            else:
                assert site["accesses"] is None

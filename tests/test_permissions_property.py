"""Property test: random establishments, accesses, document-kind selections and enrollments;
every GraphQL list (filtered in SQL from the policy's partial evaluation) equals the set of its
items that the policy allows when asked about each row alone, and every single-object query
agrees with the list. What the policy allows is not restated here (policies/cases/*.yaml and
MATRIX.md assert that): this test checks the mechanism, for whatever the rules say.

For one viewer, the expectations are the engine's concrete answers on the rows:
- an enrollment is listed and found alone exactly when `read` is allowed on it;
- its visible document kinds, its per-kind fields and its documents are exactly the kinds
  `read_document` allows on it (a hidden kind is null, without an error);
- an establishment is listed when `read` is allowed; its accesses are shown when the
  `accesses` field is allowed, null otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from models.companies import Establishment
from models.documents import Document
from models.enrollments import Enrollment
from models.enums import AccessRole, DocumentKind
from policies.engine import Policy
from tests import factories
from tests.conftest import empty_tables
from tests.graphql import GraphQLResult, gql
from tests.policy_oracle import viewer_for

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


def describe(world: WorldSpec) -> str:
    """The random world in words, for the report of a failing example."""
    lines = [f"{world.establishments} establishment(s); staff: {world.staff or 'nobody'}"]
    if world.unverified:
        lines.append(f"unverified e-mail: {', '.join(sorted(world.unverified))}")
    for (email, site), (role, kinds) in sorted(world.accesses.items()):
        listed = f" sees {', '.join(sorted(k.value for k in kinds)) or 'no kind'}"
        lines.append(f"{email}: {role} of site {site}{listed if role == 'STANDARD' else ''}")
    for number, e in enumerate(world.enrollments):
        where = "an individual order" if e.establishment is None else f"site {e.establishment}"
        issued = ", ".join(sorted(k.value for k in e.kinds)) or "none"
        lines.append(f"order {number}: {where}, registrant {e.registrant}, documents {issued}")
    return "\n".join(lines)


# -- the policy, asked about each row alone ----------------------------------------------------


@dataclass
class Decisions:
    """The policy's concrete answers for one viewer, by row index of the spec."""

    enrollments: dict[int, bool]  # index -> may read
    kinds: dict[int, set[DocumentKind]]  # index -> kinds read_document allows
    sites: dict[int, bool]  # index -> may read the establishment
    accesses: dict[int, bool]  # index -> may read its accesses field


async def decisions(policy: Policy, built: Built, email: str) -> Decisions:
    viewer = await viewer_for(email)
    rows = {e.id: e for e in await Enrollment.filter(id__in=built.enrollment_ids)}
    sites = {s.id: s for s in await Establishment.filter(id__in=built.site_ids)}
    ordered = [rows[i] for i in built.enrollment_ids]
    return Decisions(
        enrollments={i: policy.is_allowed(viewer, "read", e) for i, e in enumerate(ordered)},
        kinds={
            i: {k for k in KINDS if policy.field_allowed(viewer, "read_document", e, k.value)}
            for i, e in enumerate(ordered)
        },
        sites={
            i: policy.is_allowed(viewer, "read", sites[s]) for i, s in enumerate(built.site_ids)
        },
        accesses={
            i: policy.field_allowed(viewer, "read", sites[s], "accesses")
            for i, s in enumerate(built.site_ids)
        },
    )


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


def expected_node(decided: Decisions, built: Built, index: int) -> dict[str, Any]:
    enrollment_id = built.enrollment_ids[index]
    kinds = decided.kinds[index]
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
async def test_graphql_answers_match_the_policy_asked_row_by_row(
    client, policy: Policy, world: WorldSpec
):
    note(describe(world))
    await empty_tables()
    built = await build(world)
    all_documents = [doc for by_kind in built.documents.values() for doc in by_kind.values()]
    for viewer in ACCOUNT_EMAILS:
        note(f"viewer: {viewer}")
        token = built.tokens[viewer]
        decided = await decisions(policy, built, viewer)
        expected = {
            str(built.enrollment_ids[i]): expected_node(decided, built, i)
            for i in range(len(world.enrollments))
            if decided.enrollments[i]
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
            str(site_id) for index, site_id in enumerate(built.site_ids) if decided.sites[index]
        }
        assert {s["id"] for s in sites} == visible_sites
        single_sites = singles(result, "s", built.site_ids)
        assert {str(i) for i, answer in single_sites.items() if answer} == visible_sites
        for site in sites:
            index = built.site_ids.index(int(site["id"]))
            if decided.accesses[index]:
                assert {a["id"] for a in site["accesses"]} == built.access_ids[int(site["id"])]
            else:
                assert site["accesses"] is None

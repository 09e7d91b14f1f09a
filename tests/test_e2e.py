"""End to end: a real `espace serve` on a loopback port, driven by the `gql` client library as a
front end would, through a customer's whole journey; then stopped with SIGTERM.

Acme's Claire signs up with her company's SIRET, asks for admin rights, which Sophie (staff)
grants. She books a trainee; staff validate the booking, issue the training agreement and
upload the invoice copy. Claire gives Samuel a STANDARD access limited to invoice copies:
Samuel sees the enrollment and downloads the invoice copy, never the agreement.
"""

from __future__ import annotations

import asyncio
import email.policy
import json
import re
import signal
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from email.parser import BytesParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
from gql import Client, FileVar, gql
from gql.client import AsyncClientSession
from gql.transport.aiohttp import AIOHTTPTransport
from gql.transport.exceptions import TransportQueryError

from infra.pdf import simple_pdf
from models.enrollments import Enrollment
from policies.engine import Policy
from tests import factories
from tests.live_server import LiveServer, live_server
from tests.policy_oracle import visible_kinds

pytestmark = pytest.mark.slow

ACME_SIRET = "73282932000074"
PASSWORD = "Acme-Training-2026!"
MAIL_WAIT_SECONDS = 30.0

SIGN_UP = """
mutation SignUp($email: String!, $name: String!, $siret: String!) {
  signUp(email: $email, password: "Acme-Training-2026!", fullName: $name, kind: COMPANY,
         company: {siret: $siret, companyName: "Acme", establishmentName: "Acme Paris"}) {
    token
  }
}
"""
HISTORY = """
query History {
  enrollments {
    nodes {
      id reference status visibleDocumentKinds
      invoiceCopy { id filename downloadUrl }
      trainingAgreement { id downloadUrl }
    }
  }
}
"""


@asynccontextmanager
async def client_for(server: LiveServer, token: str | None = None) -> AsyncIterator[Any]:
    """A `gql` client session, checking our documents against the server's schema."""
    # Uploads are multipart: they need a header forcing a CORS preflight, as browsers' do.
    headers = {"Apollo-Require-Preflight": "true"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    transport = AIOHTTPTransport(url=server.graphql_url, headers=headers)
    async with Client(transport=transport, fetch_schema_from_transport=True) as session:
        yield session


async def run(session: AsyncClientSession, source: str, **variables: Any) -> dict[str, Any]:
    request = gql(source)
    request.variable_values = variables or None
    uploads = any(isinstance(v, FileVar) for v in variables.values())
    return await session.execute(request, upload_files=uploads)


async def code_of(session: AsyncClientSession, source: str, **variables: Any) -> str:
    with pytest.raises(TransportQueryError) as refused:
        await run(session, source, **variables)
    return refused.value.errors[0]["extensions"]["code"]


async def signed_in(server: LiveServer, email: str, password: str) -> str:
    async with client_for(server) as anonymous:
        result = await run(
            anonymous,
            "mutation LogIn($e: String!, $p: String!) { logIn(email: $e, password: $p) { token } }",
            e=email,
            p=password,
        )
    return result["logIn"]["token"]


async def download(server: LiveServer, link: str, token: str) -> tuple[int, bytes]:
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}" == server.url  # links point at PUBLIC_URL
    async with (
        aiohttp.ClientSession() as http,
        http.get(link, headers={"Authorization": f"Bearer {token}"}) as response,
    ):
        return response.status, await response.read()


async def test_a_customer_journey_through_a_live_server(tmp_dir):
    # Back office and catalog exist before the customer arrives.
    sophie = await factories.account("sophie.staff@espace.example", is_staff=True)
    await factories.course_session(code="MGT-1")
    mail_dir = tmp_dir / "mail"

    with live_server(tmp_dir, MAIL_DIR=str(mail_dir)) as server:
        # 1. Claire creates her company account (rule 1): Acme Paris is new to us, so she
        #    registers it; she proves her address with the link mailed to it.
        async with client_for(server) as anonymous:
            courses = await run(anonymous, "{ courses { code sessions { id } } }")
            (course,) = courses["courses"]
            assert course["code"] == "MGT-1"
            (session_id,) = [session["id"] for session in course["sessions"]]
            signed_up = await run(
                anonymous, SIGN_UP, email="claire@acme.example", name="Claire", siret=ACME_SIRET
            )
            link = await _link_mailed_to("claire@acme.example", mail_dir)
            verified = await run(
                anonymous,
                "mutation V($t: String!) { verifyEmail(token: $t) { emailVerified } }",
                t=parse_qs(urlsplit(link).query)["token"][0],
            )
            assert verified["verifyEmail"]["emailVerified"] is True
        claire_token = signed_up["signUp"]["token"]
        sophie_token = await signed_in(server, sophie.email, factories.PASSWORD)

        # 2. Claire books a trainee for the establishment she registered; Sophie validates
        #    the request (rule 13), which makes Claire its admin (rule 9).
        async with client_for(server, claire_token) as claire:
            (site,) = (await run(claire, "{ establishments { id name } }"))["establishments"]
            assert site["name"] == "Acme Paris"
            booked = await run(
                claire,
                """mutation Enrol($sessionId: ID!, $site: ID!) {
                     enroll(input: {sessionId: $sessionId, establishmentId: $site,
                                    trainees: [{firstName: "Léa", lastName: "Martin"}]}) {
                       reference enrollment { id status } }
                   }""",
                sessionId=session_id,
                site=site["id"],
            )
        enrollment = booked["enroll"]["enrollment"]
        assert enrollment["status"] == "PENDING_VALIDATION"
        async with client_for(server, sophie_token) as staff:
            validated = await run(
                staff,
                "mutation V($id: ID!) { validateEnrollment(id: $id) { status } }",
                id=enrollment["id"],
            )
            assert validated["validateEnrollment"]["status"] == "VALIDATED"

        # 3. Staff issue the training agreement and upload the invoice copy (multipart).
        invoice_pdf = simple_pdf(["Invoice copy for Acme Paris"])
        invoice_path = tmp_dir / "invoice.pdf"
        invoice_path.write_bytes(invoice_pdf)
        async with client_for(server, sophie_token) as staff:
            agreement = await run(
                staff,
                """mutation Generate($id: ID!) {
                     generateDocument(enrollmentId: $id, kind: TRAINING_AGREEMENT) { id }
                   }""",
                id=enrollment["id"],
            )
            attached = await run(
                staff,
                """mutation Attach($id: ID!, $file: Upload!) {
                     attachDocument(enrollmentId: $id, kind: INVOICE_COPY, file: $file) { size }
                   }""",
                id=enrollment["id"],
                file=FileVar(str(invoice_path), content_type="application/pdf"),
            )
            assert attached["attachDocument"]["size"] == len(invoice_pdf)
        agreement_id = agreement["generateDocument"]["id"]

        # 4. Claire, now admin, sees both documents and grants Samuel invoice copies only
        #    (rules 6, 7).
        async with client_for(server, claire_token) as claire:
            (row,) = (await run(claire, HISTORY))["enrollments"]["nodes"]
            assert row["status"] == "VALIDATED"
            assert row["trainingAgreement"]["id"] == agreement_id
            assert row["invoiceCopy"] is not None
            granted = await run(
                claire,
                """mutation Grant($site: ID!) {
                     grantAccessOrInvite(establishmentId: $site, email: "samuel@acme.example",
                                         role: STANDARD, documentKinds: [INVOICE_COPY]) {
                       access { id } invitation { role documentKinds } }
                   }""",
                site=site["id"],
            )
            assert granted["grantAccessOrInvite"] == {
                "access": None,
                "invitation": {"role": "STANDARD", "documentKinds": ["INVOICE_COPY"]},
            }

        # 5. Samuel has no account: he follows the invitation mailed to him and chooses his
        #    password; the access takes effect.
        samuel_token = await _samuel_accepts_his_invitation(server, mail_dir)

        # 6. Samuel reads the history: the kinds the policy lets him see (rule 7: the invoice
        #    copy his access lists; the agreement only if the policy says so), the same on the
        #    list, on the row's fields and when fetched alone.
        async with client_for(server, samuel_token) as samuel:
            (row,) = (await run(samuel, HISTORY))["enrollments"]["nodes"]
            enrollment = await Enrollment.get(reference=row["reference"])
            allowed = await visible_kinds(Policy(), "samuel@acme.example", enrollment.id)
            assert sorted(row["visibleDocumentKinds"]) == allowed
            assert "INVOICE_COPY" in allowed  # the kind Claire granted him
            invoice = row["invoiceCopy"]
            assert invoice is not None
            sees_agreement = "TRAINING_AGREEMENT" in allowed
            assert (row["trainingAgreement"] is not None) == sees_agreement
            alone = "query Doc($id: ID!) { document(id: $id) { id } }"
            if not sees_agreement:
                assert await code_of(samuel, alone, id=agreement_id) == "NOT_FOUND"
            else:
                assert (await run(samuel, alone, id=agreement_id))["document"]["id"] == agreement_id

        status, body = await download(server, invoice["downloadUrl"], samuel_token)
        assert status == 200
        assert body == invoice_pdf

    # Stopped with SIGTERM: the application shut down cleanly (uvicorn then re-raises the
    # signal, hence the exit status), and every log line is one JSON object.
    assert server.exit_code in (0, -signal.SIGTERM), server.log()
    lines = [json.loads(line) for line in server.log().splitlines() if line.strip()]
    assert "Application shutdown complete." in [line["message"] for line in lines]
    graphql_requests = [line for line in lines if line.get("path") == "/graphql"]
    assert len(graphql_requests) >= 10
    assert all(line["requestId"] for line in graphql_requests)
    for secret in (PASSWORD, factories.PASSWORD, claire_token, samuel_token):
        assert secret not in server.log()


async def _samuel_accepts_his_invitation(server: LiveServer, mail_dir: Path) -> str:
    """The grant had the server's mail sender deliver Samuel an invitation link (written as
    a .eml file: no SMTP_HOST here); following it with a password opens his account."""
    link = await _link_mailed_to("samuel@acme.example", mail_dir)
    assert link.startswith(f"{server.url}/accept-invitation?token=")
    token = parse_qs(urlsplit(link).query)["token"][0]
    async with client_for(server) as anonymous:
        result = await run(
            anonymous,
            """mutation Accept($token: String!, $password: String!) {
                 acceptInvitation(token: $token, password: $password) { token }
               }""",
            token=token,
            password=PASSWORD,
        )
    return result["acceptInvitation"]["token"]


async def _link_mailed_to(address: str, mail_dir: Path) -> str:
    deadline = time.monotonic() + MAIL_WAIT_SECONDS
    while time.monotonic() < deadline:
        link = await asyncio.to_thread(_link_in_mail_files, address, mail_dir)
        if link:
            return link
        await asyncio.sleep(0.2)
    raise AssertionError(f"no mail to {address} in {mail_dir}")


def _link_in_mail_files(address: str, mail_dir: Path) -> str | None:
    for path in sorted(mail_dir.glob("*.eml")):
        with path.open("rb") as file:
            message = BytesParser(policy=email.policy.default).parse(file)
        if message["To"] == address:
            body = message.get_body(preferencelist=("plain",))
            match = re.search(r"https?://\S+", body.get_content())
            assert match, body.get_content()
            return match.group(0)
    return None

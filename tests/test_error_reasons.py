"""Errors: a documented reason on every refusal, every invalid field of a form at once,
messages in the request's language from the message catalogue; mails in the account's
language."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from commands.messages import SOURCE_DIRS, current, extracted, message_calls, untranslated
from models.accounts import Account
from models.enrollments import Enrollment
from models.mail import OutboxMail
from schema import build_schema
from schema.messages import request_language
from services.errors import CODES, REASONS, Code, Reason
from settings import PROJECT_DIR
from tests import factories
from tests.graphql import gql
from tests.test_accounts import SIGN_UP
from tests.test_enrollments import ENROLL

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}


def sign_up(email: str, password: str, **more: object) -> dict[str, object]:
    return {"email": email, "password": password, "kind": "INDIVIDUAL", "name": "Inès", **more}


async def test_a_sign_up_with_a_bad_email_and_a_short_password_reports_both(client):
    result = await gql(client, SIGN_UP, sign_up("not-an-address", "abc"))

    (error,) = result.errors
    assert error["path"] == ["signUp"]
    extensions = error["extensions"]
    assert extensions["code"] == "BAD_USER_INPUT"
    assert extensions["reason"] == "INVALID_FIELDS"
    assert extensions["fields"] == [
        {
            "field": "email",
            "reason": "INVALID_EMAIL",
            "message": "This is not a valid e-mail address.",
        },
        {
            "field": "password",
            "reason": "TOO_SHORT",
            "message": "The password must have at least 8 characters.",
        },
    ]
    assert error["message"] == "2 fields are not valid."
    assert await Account.all().count() == 0


async def test_the_same_errors_in_french_when_the_request_asks_for_it(client):
    result = await gql(client, SIGN_UP, sign_up("not-an-address", "abc", name=" "), **FRENCH)

    (error,) = result.errors
    assert error["message"] == "3 champs ne sont pas valides."
    assert [(f["field"], f["reason"], f["message"]) for f in error["extensions"]["fields"]] == [
        ("email", "INVALID_EMAIL", "Cette adresse e-mail n'est pas valide."),
        ("password", "TOO_SHORT", "Le mot de passe doit comporter au moins 8 caractères."),
        ("fullName", "REQUIRED", "Ce champ est obligatoire."),
    ]


async def test_one_invalid_field_is_one_error_with_its_own_reason(client):
    result = await gql(client, SIGN_UP, sign_up("ines@example.com", "password"), **FRENCH)

    (error,) = result.errors
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["reason"] == "TOO_COMMON"
    assert error["extensions"]["field"] == "password"
    assert error["message"] == "Ce mot de passe est trop courant ; choisissez-en un autre."
    assert error["extensions"]["fields"] == [
        {"field": "password", "reason": "TOO_COMMON", "message": error["message"]}
    ]


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "Enrollment not found."),
        ({"Accept-Language": "en-GB,fr;q=0.8"}, "Enrollment not found."),
        ({"Accept-Language": "fr"}, "Inscription introuvable."),
        ({"Accept-Language": "de-DE,fr-CA;q=0.7"}, "Inscription introuvable."),
    ],
)
async def test_the_message_follows_accept_language_and_the_reason_does_not(
    client, headers, message
):
    ines = await factories.account("ines@example.com")
    token = await factories.token_for(ines)

    result = await gql(client, "{ enrollment(id: 999) { id } }", token=token, **headers)

    (error,) = result.errors
    assert error["message"] == message
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert error["extensions"]["reason"] == "RECORD_NOT_FOUND"


async def test_parameters_are_filled_in_after_translation(client):
    ines = await factories.account("ines@example.com")
    token = await factories.token_for(ines)
    query = "{ enrollments(first: 5000) { totalCount } }"

    english = await gql(client, query, token=token)
    french = await gql(client, query, token=token, **FRENCH)

    limit = english.errors[0]["extensions"]["max"]
    assert english.errors[0]["message"] == f"first must be between 0 and {limit}."
    assert french.errors[0]["message"] == f"first doit être compris entre 0 et {limit}."
    assert french.errors[0]["extensions"]["reason"] == "OUT_OF_RANGE"


async def test_every_refusal_carries_a_reason_the_schema_lists(client):
    sdl = build_schema().as_str()
    listed = set(re.search(r"enum ErrorReason \{(.*?)\}", sdl, re.S).group(1).split())
    ines = await factories.account("ines@example.com")
    token = await factories.token_for(ines)

    answers = [
        await gql(client, "{ document(id: 1) { id } }"),  # signed out
        await gql(client, "{ document(id: 1) { id } }", token=token),  # not found
        await gql(client, '{ document(id: "x") { id } }', token=token),  # bad id
        await gql(client, "{ noSuchField }"),  # validation
        await gql(client, "{"),  # parse
        await gql(
            client, 'mutation { logIn(email: "ines@example.com", password: "nope") { token } }'
        ),
    ]

    reasons = [answer.errors[0]["extensions"]["reason"] for answer in answers]
    assert reasons == [
        "SIGN_IN_REQUIRED",
        "RECORD_NOT_FOUND",
        "INVALID_ID",
        "INVALID_REQUEST",
        "INVALID_REQUEST",
        "WRONG_CREDENTIALS",
    ]
    assert set(reasons) <= listed


def test_the_schema_documents_every_code_and_reason():
    sdl = build_schema().as_str()

    for enum, members, descriptions in (
        ("ErrorCode", Code, CODES),
        ("ErrorReason", Reason, REASONS),
    ):
        body = re.search(rf"enum {enum} \{{(.*?)\}}", sdl, re.S).group(1)
        for member in members:
            assert re.search(rf'"""\s*\n?\s*[^"]+"""\s*\n\s*{member.value}\n', body), member
            assert descriptions[member]
    assert "ErrorReason" in re.search(r'"""([^"]*)"""\ntype Mutation', sdl).group(1)


def _source_files() -> list[Path]:
    return [path for d in SOURCE_DIRS for path in (PROJECT_DIR / d).rglob("*.py")]


def test_every_reason_in_the_code_is_a_documented_one():
    used: set[str] = set()
    for path in _source_files():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.keyword) and node.arg == "reason":
                if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                    used.add(node.value.value)
                elif (
                    isinstance(node.value, ast.Attribute)
                    and isinstance(node.value.value, ast.Name)
                    and node.value.value.id == "Reason"
                ):
                    used.add(node.value.attr)
    assert used
    assert used - {r.value for r in Reason} == set()


def test_every_message_is_a_template_in_the_catalogue_with_a_french_translation():
    """Messages are literal templates (an f-string could not be looked up in the catalogue)
    and each one is translated: run `espace messages` and translate what it adds."""
    dynamic = [
        f"{path.relative_to(PROJECT_DIR)}:{line}"
        for path in _source_files()
        for line, _name, expression in message_calls(ast.parse(path.read_text()))
        if isinstance(expression, ast.JoinedStr)
    ]
    assert dynamic == []
    template = extracted()
    assert len(template) > 50
    assert untranslated(current(), template) == []


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("fr", "fr"),
        ("fr-FR,fr;q=0.9,en-US;q=0.8", "fr"),
        ("en-US,en;q=0.9,fr;q=0.8", "en"),
        ("en;q=0.5,fr;q=0.9", "fr"),
        ("fr;q=0", "en"),
        ("de", "en"),
        ("*", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_the_request_language(header, language):
    assert request_language(header) == language


@pytest.mark.parametrize(
    ("language", "subject"),
    [("EN", "Confirm your e-mail address"), ("FR", "Confirmez votre adresse e-mail")],
)
async def test_mails_follow_the_account_language_not_the_request(client, language, subject):
    # The request asks for French; the account chose its language at sign-up.
    variables = sign_up("ines@example.com", "a long enough secret", language=language)
    result = await gql(client, SIGN_UP, variables, **FRENCH)

    assert result.ok()["signUp"]["account"]["language"] == language
    mail = await OutboxMail.get(to="ines@example.com", template="verify_email")
    assert mail.subject == subject


async def test_an_enrollment_form_reports_every_invalid_trainee_field(client):
    ines = await factories.account("ines@example.com")
    session = await factories.course_session()
    variables = {
        "input": {
            "sessionId": str(session.id),
            "registrantEmail": "nope",
            "trainees": [
                {"firstName": "Ana", "lastName": " "},
                {"firstName": "", "lastName": "Roy", "email": "roy@"},
            ],
        }
    }

    result = await gql(
        client,
        ENROLL,
        variables,
        await factories.token_for(ines),
    )

    (error,) = result.errors
    assert error["extensions"]["reason"] == "INVALID_FIELDS"
    assert [(f["field"], f["reason"]) for f in error["extensions"]["fields"]] == [
        ("trainees.0.lastName", "REQUIRED"),
        ("trainees.1.firstName", "REQUIRED"),
        ("trainees.1.email", "INVALID_EMAIL"),
        ("registrantEmail", "INVALID_EMAIL"),
    ]
    assert await Enrollment.all().count() == 0

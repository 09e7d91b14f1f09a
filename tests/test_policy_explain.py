"""`espace policy explain`: a decision read from the database, and the rules behind it.

The command runs as a reviewer runs it, against its own SQLite file that this test migrates
and fills (Claire admin of Acme Paris, Samuel standard user seeing invoice copies, Rémi who
ordered, Inès unrelated)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from policies.engine import policy_files
from policies.review.sources import read_sources
from settings import PROJECT_DIR

FILL = """
import asyncio, json, sys
from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate
from models.database import tortoise_config

async def main(url):
    await migrate(config=tortoise_config(url))
    await Tortoise.close_connections()
    await Tortoise.init(config=tortoise_config(url))
    from models.enums import AccessRole, DocumentKind
    from tests import factories as f
    claire = await f.account("claire.admin@acme.example")
    samuel = await f.account("samuel.standard@acme.example")
    remi = await f.account("remi.registrant@acme.example")
    await f.account("ines.martin@example.com")
    paris = await f.establishment(name="Acme Paris")
    await f.access(claire, paris, AccessRole.ADMIN)
    await f.access(samuel, paris, AccessRole.STANDARD, [DocumentKind.INVOICE_COPY])
    order = await f.enrollment(registrant_email=remi.email, site=paris)
    evaluation = await f.document(order, DocumentKind.EVALUATION)
    invoice = await f.document(order, DocumentKind.INVOICE_COPY)
    print(json.dumps({"order": order.id, "evaluation": evaluation.id, "invoice": invoice.id}))
    await Tortoise.close_connections()

asyncio.run(main(sys.argv[1]))
"""


@pytest.fixture(scope="module")
def explain_env(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], dict[str, int]]:
    folder = tmp_path_factory.mktemp("explain")
    env = {k: v for k, v in os.environ.items() if k != "POLAR_LOG"}
    env["DATABASE_URL"] = f"sqlite://{folder / 'explain.sqlite3'}"
    env["DOCUMENTS_DIR"] = str(folder / "documents")
    filled = subprocess.run(
        [sys.executable, "-c", FILL, env["DATABASE_URL"]],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_DIR,
        timeout=120,
        check=False,
    )
    assert filled.returncode == 0, filled.stderr
    return env, json.loads(filled.stdout.strip().splitlines()[-1])


def explain(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "espace"
    command = (
        [str(script)]
        if script.exists()
        else [sys.executable, "-c", "import commands; commands.main()"]
    )
    return subprocess.run(
        [*command, "policy", "explain", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_DIR,
        timeout=120,
    )


def test_an_allowed_download_names_the_rules_with_file_and_line(explain_env) -> None:
    env, ids = explain_env
    result = explain(
        env,
        "--as",
        "samuel.standard@acme.example",
        "--action",
        "read",
        "--on",
        f"Document:{ids['invoice']}",
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith(
        f"ALLOWED: samuel.standard@acme.example may read Document {ids['invoice']}."
    )
    # The chain the engine followed: the document rule, rule 7 on the enrollment, the helper.
    download_rule = next(
        rule
        for rule in read_sources(policy_files()).rules
        if rule.action == "read" and rule.resource_class == "Document"
    )
    assert f"documents.polar line {download_rule.location.line}:" in out
    assert "# Rule 7: a standard user sees only the document kinds their access lists." in out
    assert "using common.polar line" in out and "has_standard_access_to_kind(" in out
    assert "sees INVOICE_COPY" in out  # who asks, as read from the database


def test_a_denied_download_lists_the_rules_tried(explain_env) -> None:
    env, ids = explain_env
    result = explain(
        env,
        "--as",
        "samuel.standard@acme.example",
        "--action",
        "read",
        "--on",
        f"Document:{ids['evaluation']}",
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("DENIED: samuel.standard@acme.example may not read Document")
    assert "kind='EVALUATION'" in out
    assert "No rule allows it. The engine tried these rules, and none matched:" in out
    # For each rule tried, the condition that failed, with the values, in people's words.
    assert "Why each rule did not allow it (the first condition that failed):" in out
    assert "`kind in grant.document_kinds` is false" in out
    assert 'kind = "EVALUATION"' in out
    assert "grant.document_kinds = [INVOICE_COPY] (one per grant)" in out
    assert "`viewer.is_staff = true` is false" in out and "viewer.is_staff = false" in out
    assert "STANDARD access 2 to Acme Paris, sees INVOICE_COPY" in out  # who asks
    assert "accounts.polar" not in out  # rules of other questions are not tried
    assert "(Acme Paris)" in out
    for comment in (
        "# Rule 4: the registrant sees",
        "# Rule 6: an admin sees",
        "# Staff see every document.",
    ):
        assert comment in out


def test_an_admin_cancellation_and_a_field_question(explain_env) -> None:
    env, ids = explain_env
    allowed = explain(
        env,
        "--as",
        "claire.admin@acme.example",
        "--action",
        "cancel",
        "--on",
        f"enrollment:{ids['order']}",
    )
    assert allowed.stdout.startswith("ALLOWED: claire.admin@acme.example may cancel Enrollment")
    assert "# Rule 14 and 6: an admin of the establishment can cancel it too." in allowed.stdout
    denied = explain(
        env,
        "--as",
        "ines.martin@example.com",
        "--action",
        "read_document",
        "--field",
        "EVALUATION",
        "--on",
        f"Enrollment:{ids['order']}",
    )
    assert denied.stdout.startswith(
        "DENIED: ines.martin@example.com may not read_document the 'EVALUATION' of Enrollment"
    )


def test_an_action_no_rule_and_no_code_uses_is_refused(explain_env) -> None:
    env, ids = explain_env
    result = explain(
        env,
        "--as",
        "claire.admin@acme.example",
        "--action",
        "revoek",
        "--on",
        f"Enrollment:{ids['order']}",
    )
    assert result.returncode == 2
    assert "unknown action 'revoek': no rule and no code uses it" in result.stderr
    assert "did you mean 'revoke'?" in result.stderr
    field = explain(
        env,
        "--as",
        "claire.admin@acme.example",
        "--action",
        "read_document",
        "--field",
        "EVALUATON",
        "--on",
        f"Enrollment:{ids['order']}",
    )
    assert field.returncode == 2 and "unknown field 'EVALUATON'" in field.stderr


def test_an_unmigrated_or_empty_database_says_which_command_to_run(tmp_dir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "POLAR_LOG"}
    env["DATABASE_URL"] = f"sqlite://{tmp_dir / 'empty.sqlite3'}"
    args = ("--as", "claire.admin@acme.example", "--action", "read", "--on", "Enrollment:1")
    result = explain(env, *args)
    assert result.returncode == 2
    assert "run `espace migrate`" in result.stderr and "Traceback" not in result.stderr
    migrated = subprocess.run(
        [str(Path(sys.executable).parent / "espace"), "migrate"],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_DIR,
        timeout=120,
    )
    assert migrated.returncode == 0, migrated.stderr
    result = explain(env, *args)
    assert result.returncode == 2
    assert "no account at all, run `espace seed-demo`" in result.stderr


def test_unknown_account_type_or_record(explain_env) -> None:
    env, _ = explain_env
    nobody = explain(env, "--as", "nobody@example.com", "--action", "read", "--on", "Enrollment:1")
    assert nobody.returncode == 2
    assert "no account with the e-mail nobody@example.com" in nobody.stderr
    bad_type = explain(
        env, "--as", "claire.admin@acme.example", "--action", "read", "--on", "Course:1"
    )
    assert bad_type.returncode == 2 and "unknown resource type 'Course'" in bad_type.stderr
    missing = explain(
        env, "--as", "claire.admin@acme.example", "--action", "read", "--on", "Enrollment:999"
    )
    assert missing.returncode == 2 and "no Enrollment with id 999" in missing.stderr

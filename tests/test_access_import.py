"""`espace import-training-managers CSV`, run as a real command on a throw-away SQLite
database: training managers known in our records become admins (rule 9)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ESPACE = [sys.executable, "-c", "from commands import main; main()"]
PROJECT = Path(__file__).resolve().parent.parent


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ESPACE, *args], env=env, cwd=PROJECT, capture_output=True, text=True, timeout=120
    )


def _env(directory: Path, path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite://{path}",
        "MAIL_DIR": str(directory / "mail"),
        "DOCUMENTS_DIR": str(directory / "documents"),
    }


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite file migrated by `espace migrate`, copied by each test."""
    directory = tmp_path_factory.mktemp("import-template")
    path = directory / "template.sqlite3"
    result = run(["migrate"], _env(directory, path))
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture
def import_db(migrated: Path, tmp_dir: Path) -> tuple[Path, dict[str, str]]:
    """A migrated SQLite file with Acme Paris, Acme Lyon and Marc's existing account."""
    path = tmp_dir / "import.sqlite3"
    shutil.copyfile(migrated, path)
    env = _env(tmp_dir, path)
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO company (id, name, created_at) VALUES (1, 'Acme', '2026-01-01')")
        for number, (siret, name) in enumerate(
            [("11111111100011", "Acme Paris"), ("11111111100022", "Acme Lyon")], start=1
        ):
            db.execute(
                "INSERT INTO establishment (id, company_id, siret, name, address, city, "
                "created_at) VALUES (?, 1, ?, ?, '', '', '2026-01-01')",
                (number, siret, name),
            )
        # Marc proved his address; whoever signed up as Léa did not (yet).
        for number, email, verified_at in [
            (1, "marc@acme.example", "2026-01-02"),
            (2, "lea@acme.example", None),
        ]:
            db.execute(
                "INSERT INTO account (id, email, kind, full_name, phone, language, is_staff, "
                "is_training_manager, created_at, updated_at, email_verified_at) VALUES "
                "(?, ?, 'COMPANY', '', '', 'fr', 0, 0, '2026-01-01', '2026-01-01', ?)",
                (number, email, verified_at),
            )
        # Marc already has a STANDARD access to Lyon: it is raised to ADMIN.
        db.execute(
            "INSERT INTO access (id, account_id, establishment_id, role, document_kinds, "
            "created_at, updated_at) VALUES (1, 1, 2, 'STANDARD', '[\"EVALUATION\"]', "
            "'2026-01-01', '2026-01-01')"
        )
    return path, env


def rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as db:
        return list(db.execute(sql))


def test_import_records_managers_and_makes_existing_accounts_admins(import_db, tmp_dir):
    path, env = import_db
    csv_file = tmp_dir / "managers.csv"
    csv_file.write_text(
        "email,siret,full_name\n"
        "Marc@Acme.example,11111111100011,Marc Dupont\n"
        "marc@acme.example,111 111 111 00022,Marc Dupont\n"
        "lea@acme.example,11111111100011,Léa Martin\n",
        encoding="utf-8",
    )
    result = run(["import-training-managers", str(csv_file)], env)
    assert result.returncode == 0, result.stderr
    assert "3 new" in result.stdout and "Admin accesses granted: 2" in result.stdout

    assert rows(
        path,
        "SELECT email, establishment_id, full_name FROM training_manager "
        "ORDER BY email, establishment_id",
    ) == [
        ("lea@acme.example", 1, "Léa Martin"),
        ("marc@acme.example", 1, "Marc Dupont"),
        ("marc@acme.example", 2, "Marc Dupont"),
    ]
    assert rows(
        path,
        "SELECT establishment_id, role FROM access WHERE account_id = 1 ORDER BY establishment_id",
    ) == [(1, "ADMIN"), (2, "ADMIN")]
    assert rows(path, "SELECT is_training_manager FROM account WHERE id = 1") == [(1,)]
    # Léa's account is not verified: she becomes admin once she follows the link we mailed
    # her (services.accounts), not before: anyone could have signed up with her address.
    assert rows(path, "SELECT count(*) FROM access WHERE account_id = 2") == [(0,)]
    assert rows(path, "SELECT action, establishment_id FROM audit_entry ORDER BY id") == [
        ("access.granted_training_manager", 1),
        ("access.granted_training_manager", 2),
    ]

    # Importing the same file again changes nothing.
    again = run(["import-training-managers", str(csv_file)], env)
    assert again.returncode == 0, again.stderr
    assert "0 new" in again.stdout and "3 unchanged" in again.stdout
    assert rows(path, "SELECT count(*) FROM audit_entry") == [(2,)]


def test_a_wrong_line_imports_nothing_and_says_which_line(import_db, tmp_dir):
    path, env = import_db
    csv_file = tmp_dir / "managers.csv"
    csv_file.write_text(
        "email,siret,full_name\n"
        "marc@acme.example,11111111100011,Marc\n"
        "not-an-address,11111111100011,X\n"
        "paul@acme.example,99999999999999,Paul\n",
        encoding="utf-8",
    )
    result = run(["import-training-managers", str(csv_file)], env)
    assert result.returncode == 2
    assert "line 3" in result.stderr and "line 4" in result.stderr
    assert "99999999999999" in result.stderr
    assert rows(path, "SELECT count(*) FROM training_manager") == [(0,)]
    assert rows(path, "SELECT role FROM access") == [("STANDARD",)]


def test_a_file_without_the_expected_columns_is_refused(import_db, tmp_dir):
    _, env = import_db
    csv_file = tmp_dir / "managers.csv"
    csv_file.write_text("mail;siret\nmarc@acme.example;11111111100011\n", encoding="utf-8")
    result = run(["import-training-managers", str(csv_file)], env)
    assert result.returncode == 2
    assert "missing column" in result.stderr

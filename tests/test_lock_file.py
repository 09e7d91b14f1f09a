"""requirements.lock (what `.ci/run` installs) satisfies what pyproject.toml declares: a
dependency added or re-pinned in pyproject.toml without regenerating the lock would otherwise
be missing from CI's environment, or installed at a version the project does not accept."""

from __future__ import annotations

import re
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from settings import PROJECT_DIR

LOCKED = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s\\;]+)", re.M)


def locked_versions() -> dict[str, str]:
    text = (PROJECT_DIR / "requirements.lock").read_text(encoding="utf-8")
    return {canonicalize_name(name): version for name, version in LOCKED.findall(text)}


def declared() -> list[Requirement]:
    project = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lines = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    return [Requirement(line) for line in lines]


def test_the_lock_file_holds_every_declared_dependency_at_an_accepted_version() -> None:
    locked = locked_versions()
    wrong = [
        f"{requirement}: locked {locked.get(canonicalize_name(requirement.name), 'nowhere')}"
        for requirement in declared()
        if canonicalize_name(requirement.name) not in locked
        or not requirement.specifier.contains(
            locked[canonicalize_name(requirement.name)], prereleases=True
        )
    ]
    assert not wrong, (
        "requirements.lock is out of date with pyproject.toml (regenerate it as the README's "
        "Dependencies section says):\n" + "\n".join(wrong)
    )


def test_the_check_notices_a_dependency_the_lock_lacks() -> None:
    locked = locked_versions()
    assert canonicalize_name("no-such-package-xyz") not in locked
    assert not Requirement("oso==0.0.1").specifier.contains(locked["oso"])

"""`espace policy test|matrix|explain|coverage|check`: the policy reviewer's tools.

Each command takes `--policies DIR` (default: the project's `policies/`) so a reviewer can try
a change in a copy before touching the real files. See policies/README.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from policies.engine import POLICY_DIR

if TYPE_CHECKING:  # the commands import the engine only when they run
    from policies.engine import Policy
    from policies.review.cases import Suite

# Exit codes: 0 fine, 1 the policy disagrees with the cases (or is stale, or has errors),
# 2 the command could not run (files that do not load, unknown account...).
OK, FAILED, UNUSABLE = 0, 1, 2


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "policy", help="test, explain and review the policy files (policies/*.polar)"
    )
    commands = parser.add_subparsers(dest="policy_command", required=True, metavar="TOOL")

    test = commands.add_parser("test", help="run the decision cases of policies/cases/*.yaml")
    _common(test, cases=True)
    test.set_defaults(handler=test_command)

    matrix = commands.add_parser("matrix", help="write the decision matrix to MATRIX.md")
    _common(matrix)
    matrix.add_argument("--output", type=Path, help="where to write (default: DIR/MATRIX.md)")
    matrix.add_argument(
        "--check", action="store_true", help="do not write: fail if MATRIX.md is out of date"
    )
    matrix.set_defaults(handler=matrix_command)

    explain = commands.add_parser(
        "explain", help="one decision from the database, and the rules that produced it"
    )
    _common(explain)
    explain.add_argument("--as", dest="email", required=True, help="login e-mail of the account")
    explain.add_argument("--action", required=True, help="for example read, cancel, revoke")
    explain.add_argument(
        "--on", dest="target", required=True, help="TYPE:ID, for example Enrollment:12"
    )
    explain.add_argument(
        "--field",
        help="ask allow_field for this field (e.g. --action read_document --field EVALUATION)",
    )
    explain.set_defaults(handler=explain_command)

    coverage = commands.add_parser(
        "coverage", help="list the rules that no decision case exercises"
    )
    _common(coverage, cases=True)
    coverage.add_argument(
        "--strict", action="store_true", help="exit with 1 when a rule is untested"
    )
    coverage.set_defaults(handler=coverage_command)

    mutate = commands.add_parser(
        "mutate", help="change each rule a little and check that a case notices every change"
    )
    _common(mutate, cases=True)
    mutate.add_argument(
        "--jobs", type=int, help="processes to use (default: the machine's cores, at most 4)"
    )
    mutate.set_defaults(handler=mutate_command)

    status = commands.add_parser(
        "status",
        help="the policy a development server uses, and the last edit it refused to load",
    )
    _common(status)
    status.add_argument(
        "--url", default="http://127.0.0.1:8000", help="the server (default: %(default)s)"
    )
    status.set_defaults(handler=status_command)

    check = commands.add_parser("check", help="load and validate the .polar files")
    _common(check)
    check.set_defaults(handler=check_command)


def _common(parser: argparse.ArgumentParser, *, cases: bool = False) -> None:
    parser.add_argument(
        "--policies", type=Path, default=POLICY_DIR, help="policy directory (default: policies/)"
    )
    if cases:
        parser.add_argument(
            "--cases", type=Path, help="case directory (default: the policy directory's cases/)"
        )


def _load_policy(directory: Path) -> Policy | None:
    """The engine with `directory`'s files, or None after printing why it does not load."""
    from policies.engine import Policy, policy_files
    from policies.review.check import load_checked

    files = policy_files(directory)
    if not files:
        print(f"error: no .polar files in {directory}", file=sys.stderr)
        return None
    _, findings = load_checked(files)
    errors = [f for f in findings if f.level == "error"]
    if errors:
        for finding in errors:
            print(finding.format(), file=sys.stderr)
        print("The policy does not load: run `espace policy check`.", file=sys.stderr)
        return None
    return Policy(directory)


def _suite(args: argparse.Namespace) -> Suite | None:
    from policies.engine import policy_files
    from policies.review.cases import CaseError, case_files, load_suite, unknown_words
    from policies.review.sources import read_sources

    directory = args.cases or args.policies / "cases"
    files = case_files(directory)
    if not files:
        print(f"error: no case files (*.yaml) in {directory}", file=sys.stderr)
        return None
    try:
        suite = load_suite(files)
    except CaseError as error:
        print(f"error: {error}", file=sys.stderr)
        return None
    problems = unknown_words(suite, read_sources(policy_files(args.policies)).rules)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return None if problems else suite


def test_command(args: argparse.Namespace) -> int:
    from policies.review.cases import format_failure, run_suite

    policy = _load_policy(args.policies)
    suite = _suite(args)
    if policy is None or suite is None:
        return UNUSABLE
    outcomes = run_suite(policy, suite)
    failures = [o for o in outcomes if not o.passed]
    for outcome in failures:
        print(format_failure(outcome))
        print()
    print(f"{len(outcomes)} cases, {len(outcomes) - len(failures)} passed, {len(failures)} failed.")
    if failures:
        print("Explain one with `espace policy explain` or read the rule it names.")
    return FAILED if failures else OK


def matrix_command(args: argparse.Namespace) -> int:
    from policies.review.matrix import REGENERATE, render_matrix

    if _load_policy(args.policies) is None:
        return UNUSABLE
    target: Path = args.output or args.policies / "MATRIX.md"
    text = render_matrix(args.policies)
    if args.check:
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            print(f"{target} is out of date: run `{REGENERATE}` and commit it.")
            return FAILED
        print(f"{target} is up to date.")
        return OK
    target.write_text(text, encoding="utf-8")
    print(f"Wrote {target}.")
    return OK


def explain_command(args: argparse.Namespace) -> int:
    from commands.runner import run_with_database
    from models.database import DatabaseNotMigrated
    from policies.engine import policy_files
    from policies.review.explain import ExplainError, check_question, explain
    from policies.review.sources import read_sources

    policy = _load_policy(args.policies)
    if policy is None:
        return UNUSABLE
    try:
        check_question(read_sources(policy_files(args.policies)).rules, args.action, args.field)
        viewer, resource, names = run_with_database(lambda: _question(args))
    except ExplainError as error:
        print(f"error: {error}", file=sys.stderr)
        return UNUSABLE
    except DatabaseNotMigrated:
        print(
            "error: the database has no tables yet or is behind the code: run "
            "`espace migrate` (and `espace seed-demo` for the demo accounts) first.",
            file=sys.stderr,
        )
        return UNUSABLE
    explanation = explain(policy, viewer, args.action, resource, args.field, names)
    print(explanation.text, end="")
    return OK


async def _question(args: argparse.Namespace) -> tuple[Any, Any, dict[int, str]]:
    from policies.review.explain import establishment_names, load_question

    viewer, resource = await load_question(args.email, args.target)
    return viewer, resource, await establishment_names(viewer, resource)


def coverage_command(args: argparse.Namespace) -> int:
    from policies.review.coverage import measure, render

    policy = _load_policy(args.policies)
    suite = _suite(args)
    if policy is None or suite is None:
        return UNUSABLE
    report = measure(policy, suite)
    print(render(report), end="")
    return FAILED if args.strict and report.untested else OK


def check_command(args: argparse.Namespace) -> int:
    from policies.review.check import check_policies

    report = check_policies(args.policies)
    for finding in report.findings:
        print(finding.format())
    errors = sum(1 for f in report.findings if f.level == "error")
    warnings = len(report.findings) - errors
    names = ", ".join(f.name for f in report.files)
    if report.ok:
        print(f"OK: {len(report.files)} files load ({names}); {warnings} warning(s).")
        return OK
    print(f"{errors} error(s), {warnings} warning(s): the policy does not load as it is.")
    return FAILED


def mutate_command(args: argparse.Namespace) -> int:
    from policies.review.mutate import default_jobs, mutate, render

    if _load_policy(args.policies) is None or _suite(args) is None:
        return UNUSABLE
    report = mutate(args.policies, args.cases, args.jobs or default_jobs())
    print(render(report), end="")
    return FAILED if report.survivors else OK


def status_command(args: argparse.Namespace) -> int:
    """Ask the running server's /healthz (development) which policy it uses; without a
    server, say whether the files on disk load."""
    import httpx

    from policies.review.check import load_checked

    try:
        body = httpx.get(f"{args.url.rstrip('/')}/healthz", timeout=5).json()
    except (httpx.HTTPError, ValueError):
        body = None
    if body is None:
        print(f"No server answers at {args.url}.")
    elif "policy" not in body:
        print(f"The server at {args.url} does not show its policy (not in development mode).")
    else:
        state = body["policy"]
        print(
            f"The server at {args.url} uses policy generation {state['generation']}, "
            f"loaded at {state['loadedAt']}."
        )
        refused = state.get("lastRefused")
        if refused:
            still = "still refused: fix it" if refused["pending"] else "fixed since"
            print(f"Last refused edit, at {refused['at']} ({still}): {refused['where']}")
            print("\n".join("    " + line for line in refused["error"].splitlines()))
            if refused["pending"]:
                return FAILED
        else:
            print("No edit was refused since it started.")
        return OK
    from policies.engine import policy_files

    _, findings = load_checked(policy_files(args.policies))
    errors = [f for f in findings if f.level == "error"]
    for finding in errors:
        print(finding.format())
    print("The files on disk do not load." if errors else "The files on disk load.")
    return FAILED if errors else OK

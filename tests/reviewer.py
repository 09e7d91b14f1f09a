"""Running the policy tools as a reviewer would: the `espace` command, on real files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from policies.engine import POLICY_DIR
from settings import PROJECT_DIR


def espace(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the `espace` command line (the installed script when there is one)."""
    env = {k: v for k, v in os.environ.items() if k != "POLAR_LOG"}
    script = Path(sys.executable).parent / "espace"
    command = (
        [str(script)]
        if script.exists()
        else [sys.executable, "-c", "import commands; commands.main()"]
    )
    return subprocess.run(
        [*command, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT_DIR,
        timeout=120,
    )


def policy_copy(tmp_dir: Path) -> Path:
    """A copy of the .polar files (and cases) that a test may break or change."""
    copy = tmp_dir / "policies"
    shutil.copytree(
        POLICY_DIR, copy, ignore=shutil.ignore_patterns("*.py", "__pycache__", "engine", "review")
    )
    return copy

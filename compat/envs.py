"""The clients' virtual environments: built once from a lock under a cache folder, reused.

The cache key is the lock's content and the interpreter, so a changed pin builds a fresh
environment and a second run installs nothing. Concurrent runs (several worktrees, CI)
wait for each other on a file lock instead of building the same environment twice.
"""

from __future__ import annotations

import fcntl
import glob
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent


def cache_root() -> Path:
    configured = os.environ.get("UNDERSTUDY_COMPAT_CACHE")
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "understudy" / "compat"


@dataclass(frozen=True)
class Env:
    name: str
    python: str  # "3.12": the interpreter version the environment needs
    lock: Path

    def interpreter(self) -> str | None:
        """A working python of that version on this machine, or None."""
        return find_python(self.python)

    def folder(self, interpreter: str) -> Path:
        digest = hashlib.sha256(self.lock.read_bytes() + interpreter.encode()).hexdigest()[:10]
        return cache_root() / f"{self.name}-py{self.python}-{digest}"

    def ensure(self, log: Callable[[str], None] = print) -> Path:
        """The environment's python, building the environment first if needed."""
        interpreter = self.interpreter()
        if interpreter is None:
            raise Unavailable(f"no Python {self.python} on this machine (PATH, pyenv)")
        folder = self.folder(interpreter)
        python = folder / "bin" / "python"
        folder.parent.mkdir(parents=True, exist_ok=True)
        with open(folder.parent / f"{folder.name}.lock", "w") as guard:
            fcntl.flock(guard, fcntl.LOCK_EX)
            if (folder / ".ready").exists():
                return python
            log(f"compat: building environment {self.name} (Python {self.python}) in {folder}")
            shutil.rmtree(folder, ignore_errors=True)
            _run([interpreter, "-m", "venv", str(folder)])
            pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
            _run([*pip, "--no-deps", "-r", str(self.lock)])
            (folder / ".ready").write_text(self.lock.read_text())
        return python


class Unavailable(Exception):
    """The environment cannot be built on this machine."""


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-5:])
        raise Unavailable(f"{' '.join(command[:4])} … failed: {tail}")


def find_python(version: str) -> str | None:
    if f"{sys.version_info.major}.{sys.version_info.minor}" == version:
        return getattr(sys, "_base_executable", sys.executable)  # not a worktree's venv
    candidates = [shutil.which(f"python{version}")]
    home = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    candidates += sorted(glob.glob(f"{home}/versions/{version}.*/bin/python{version}"))
    candidates += [f"/usr/bin/python{version}", f"/usr/local/bin/python{version}"]
    for candidate in candidates:
        if candidate and _is_version(candidate, version):
            return candidate
    return None


def _is_version(python: str, version: str) -> bool:
    try:
        done = subprocess.run(
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except OSError:
        return False
    return done.returncode == 0 and done.stdout.strip() == version

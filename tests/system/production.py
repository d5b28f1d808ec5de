"""The README's production section, read and run on this machine.

``read_recipe`` takes the section's shell block apart: the ``WALLET_*`` variables it
exports and the commands it runs (``flask db upgrade``, ``flask create-staff``, ``gunicorn``,
``huey_consumer``). The multi-node test runs those very commands, so the README cannot
drift from what is tested: a new variable there fails the test until the test gives it a
value, and a changed command is what the test starts.

``Processes`` starts them from the checkout's virtualenv, each in a process group of its
own, and ends every one of them (group and all) when the test is done, failed or not.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import requests

PROJECT_ROOT = Path(__file__).resolve().parents[2]
README = PROJECT_ROOT / "README.md"
VENV_BIN = Path(sys.executable).parent
PROGRAMS = ("flask", "gunicorn", "huey_consumer")
_ASSIGNMENT = re.compile(r"([A-Z][A-Z0-9_]*)=(.*)", re.S)


@dataclass(frozen=True)
class Command:
    """One command of the section: ``env`` is the ``NAME=value`` words before the program."""

    env: Mapping[str, str]
    argv: tuple[str, ...]

    def with_option(self, option: str, value: str) -> Command:
        """The command with ``option``'s value replaced (the option must be there)."""
        argv = list(self.argv)
        assert option in argv, f"the README's {argv[0]} command has no {option}"
        argv[argv.index(option) + 1] = value
        return Command(self.env, tuple(argv))

    def plus(self, *words: str) -> Command:
        return Command(self.env, (*self.argv, *words))


@dataclass(frozen=True)
class Recipe:
    variables: frozenset[str]  # every WALLET_* the section exports
    commands: tuple[Command, ...]

    def command(self, *start: str) -> Command:
        """The one command whose words begin with ``start``, e.g. ("flask", "db", "upgrade")."""
        found = [c for c in self.commands if c.argv[: len(start)] == start]
        assert len(found) == 1, f"the README's production section runs {start!r} {len(found)}x"
        return found[0]


def production_block(readme: str) -> str:
    """The shell block of the README's "## Production" section."""
    section = readme.split("\n## Production\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match, "the README's production section has no ```sh block"
    return match.group(1)


def read_recipe(readme: str | None = None) -> Recipe:
    text = README.read_text(encoding="utf-8") if readme is None else readme
    variables: set[str] = set()
    commands: list[Command] = []
    for line in production_block(text).splitlines():
        words = shlex.split(line, comments=True)
        if words[:1] == ["export"]:
            for word in words[1:]:
                assignment = _ASSIGNMENT.fullmatch(word)
                if assignment and assignment.group(1).startswith("WALLET_"):
                    variables.add(assignment.group(1))
            continue
        env: dict[str, str] = {}
        while words and (assignment := _ASSIGNMENT.fullmatch(words[0])):
            env[assignment.group(1)] = assignment.group(2)
            words = words[1:]
        if words and words[0] in PROGRAMS:
            commands.append(Command(env, tuple(words)))
    return Recipe(frozenset(variables), tuple(commands))


class Processes:
    """What a test started: each long-running command in a process group of its own,
    its output in ``logs/<name>.log``."""

    def __init__(self, logs: Path, env: Mapping[str, str]) -> None:
        self.logs = logs
        self.env = dict(env)
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        self._files: dict[str, IO[bytes]] = {}

    def _environ(self, command: Command, extra: Mapping[str, str]) -> dict[str, str]:
        return {**self.env, **command.env, **extra}

    def _argv(self, command: Command) -> list[str]:
        return [str(VENV_BIN / command.argv[0]), *command.argv[1:]]

    def run(self, command: Command, **extra: str) -> str:
        """Run a command to its end; its standard output."""
        done = subprocess.run(
            self._argv(command),
            cwd=PROJECT_ROOT,
            env=self._environ(command, extra),
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=120,
            check=False,
        )
        out = done.stdout.decode(errors="replace")
        err = done.stderr.decode(errors="replace")
        assert done.returncode == 0, f"{shlex.join(command.argv)} failed:\n{out}\n{err[-3000:]}"
        return out

    def start(self, name: str, command: Command, **extra: str) -> subprocess.Popen[bytes]:
        assert name not in self.running, name
        log = (self.logs / f"{name}.log").open("wb")
        self._files[name] = log
        process = subprocess.Popen(
            self._argv(command),
            cwd=PROJECT_ROOT,
            env=self._environ(command, extra),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: gunicorn's workers end with it
        )
        self.running[name] = process
        return process

    def log(self, name: str, tail: int = 4000) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-tail:] if path.exists() else ""

    def wait_for_http(self, name: str, port: int, timeout: float = 30) -> None:
        """Until the process answers HTTP on ``port``; fails with its log if it ends first."""

        def answers() -> bool:
            # the port is open as soon as the master runs; a worker answers once it booted
            with contextlib.suppress(requests.ConnectionError, requests.Timeout):
                requests.get(f"http://127.0.0.1:{port}/", timeout=5, allow_redirects=False)
                return True
            return False

        self._wait(name, answers, f"no answer on port {port}", timeout)

    def wait_for_log(self, name: str, text: str, timeout: float = 30) -> None:
        """Until the process has written ``text`` to its log."""
        self._wait(name, lambda: text in self.log(name, tail=10**6), repr(text), timeout)

    def _wait(self, name: str, ready: Callable[[], bool], what: str, timeout: float) -> None:
        pid = self.running[name].pid
        deadline = time.monotonic() + timeout
        while not ready():
            if _has_ended(pid):
                raise AssertionError(f"{name} ended:\n{self.log(name)}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{name}: {what} after {timeout} s:\n{self.log(name)}")
            time.sleep(0.1)

    def stop(self, name: str, timeout: float = 10) -> None:
        """SIGTERM to the process group, SIGKILL to what is left of it after ``timeout``.

        The leader is not reaped before the last signal: while it is a zombie, its id
        still names this group and no other process can have taken it.
        """
        process = self.running.pop(name)
        if process.returncode is None:  # not reaped yet: the group id is still ours
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while not _has_ended(process.pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        self._files.pop(name).close()

    def stop_all(self) -> None:
        for name in reversed(list(self.running)):
            self.stop(name)


def _has_ended(pid: int) -> bool:
    """Whether the child ``pid`` has exited, without reaping it."""
    return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None

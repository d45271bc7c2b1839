"""What ``auditor audit`` shows on a terminal while it works: the step it is on.

A large tenant takes a while in each step (reading and checking a gigabyte snapshot,
evaluating the library, writing reports of a million rows), and a silent terminal looks
hung. On a terminal (stderr, and not in CI) each step shows a transient status line, and
the policies a progress bar; all of it disappears when done, so the summary stands alone.
Anywhere else nothing is shown: CI logs and pipes get the summary only.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from auditor.terminal import interactive

if TYPE_CHECKING:
    from auditor.policy import Policy


class AuditProgress:
    """Status lines and the policy bar, on ``stream`` (default stderr) when it is a terminal."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.enabled = interactive(stream)
        self._stream = stream
        self._status: Any = None

    def _console(self) -> Any:
        from rich.console import Console

        return Console(file=self._stream, stderr=self._stream is None)

    @contextlib.contextmanager
    def step(self, text: str) -> Iterator[None]:
        """A status line (with a spinner) while the block runs; :meth:`update` changes its text."""
        if not self.enabled:
            yield
            return
        with self._console().status(text, spinner="dots") as status:
            self._status = status
            try:
                yield
            finally:
                self._status = None

    def update(self, text: str) -> None:
        """New text for the current status line (nothing when there is none)."""
        if self._status is not None:
            self._status.update(text)

    def policies(self, policies: Sequence[Policy]) -> Iterable[Policy]:
        """The policies, with a transient progress bar while they are evaluated."""
        if not self.enabled:
            return policies
        from rich.progress import track

        return track(policies, description="Evaluating policies", console=self._console(), transient=True)

"""The base of every quiz screen: one failure policy for background jobs.

Worker state changes are delivered to the node that started the worker and do not bubble, so
each screen forwards failures to the app, which shows a notification and keeps running.
"""

from __future__ import annotations

from typing import Any, TypeVar

from textual import on
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState

ResultType = TypeVar("ResultType")


def describe_failure(worker: Worker[object]) -> str:
    error = worker.error
    if error is None:
        return "unknown error"
    lines = str(error).strip().splitlines()
    return (lines[0] if lines else error.__class__.__name__)[:200]


def report_failure(screen: Screen[Any], event: Worker.StateChanged) -> None:
    """Tell the learner which background job failed and why; the app keeps running."""
    if event.state is WorkerState.ERROR:
        screen.notify(f"{event.worker.name or 'background job'}: "
                      f"{describe_failure(event.worker)}",
                      title="出错了 something failed", severity="error", timeout=8, markup=False)


class QuizScreen(Screen[ResultType]):
    @on(Worker.StateChanged)
    def report_failed_worker(self, event: Worker.StateChanged) -> None:
        report_failure(self, event)


class QuizModalScreen(ModalScreen[ResultType]):
    @on(Worker.StateChanged)
    def report_failed_worker(self, event: Worker.StateChanged) -> None:
        report_failure(self, event)

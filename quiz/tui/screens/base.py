"""The base of every quiz screen: one failure policy for background jobs.

Worker state changes are delivered to the node that started the worker and do not bubble, so
each screen forwards failures to the app, which shows a notification and keeps running.
"""

from __future__ import annotations

import gc
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from textual import on
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState

from quiz.render.safe import safe_text

if TYPE_CHECKING:
    from quiz.store.db import Database

ResultType = TypeVar("ResultType")


def freeze_long_lived() -> None:
    """Exempt every object alive now (the bank's questions, the modules, the screens' widgets)
    from the garbage collector's full passes. The study loop creates and drops many small
    objects per card; each full pass used to rescan everything that lives for the whole
    session, one of them 70-120 ms: the slowest step from a rating to the next card
    (bench/study.py). Objects made later are collected as usual."""
    gc.freeze()


def describe_failure(worker: Worker[object]) -> str:
    error = worker.error
    if error is None:
        return "unknown error"
    lines = safe_text(str(error)).strip().splitlines()  # it may quote a row or a file name
    return (lines[0] if lines else error.__class__.__name__)[:200]


def report_failure(screen: Screen[Any], event: Worker.StateChanged) -> None:
    """Tell the learner which background job failed and why; the app keeps running. When the
    error came from reading the store, a background look names the damaged row, if any."""
    if event.state is not WorkerState.ERROR:
        return
    screen.notify(f"{event.worker.name or 'background job'}: {describe_failure(event.worker)}",
                  title="出错了 something failed", severity="error", timeout=8, markup=False)
    error = event.worker.error
    context = getattr(screen.app, "context", None)
    if error is not None and context is not None and event.worker.name != "explain_damage":
        screen.run_worker(partial(explain_damage, screen, error, context.db), thread=True,
                          name="explain_damage", exit_on_error=False)


def explain_damage(screen: Screen[Any], error: BaseException, db: Database) -> None:
    from quiz.store.damage import damage_message

    message = damage_message(error, db)
    if message:
        screen.app.call_from_thread(screen.notify, safe_text(message),
                                    title="数据库损坏 damaged database",
                                    severity="error", timeout=15, markup=False)


class QuizScreen(Screen[ResultType]):
    @on(Worker.StateChanged)
    def report_failed_worker(self, event: Worker.StateChanged) -> None:
        report_failure(self, event)


class QuizModalScreen(ModalScreen[ResultType]):
    @on(Worker.StateChanged)
    def report_failed_worker(self, event: Worker.StateChanged) -> None:
        report_failure(self, event)

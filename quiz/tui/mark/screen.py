"""Marking one answer at a time, item by item across the class.

The screen shows the question, the student's whole answer and the reference answer (side by
side on a wide terminal, stacked at 80 columns), who wrote it and how far the marking is. Keys:
1/y 对, 2/h 半对, 3/n 错, s a typed score (7/10, 0.8, 80%), N a note, u / ctrl+z undo (any number
of steps, newest first), ←/k and →/j the previous / next answer, e the reference's 勘误 notes.
A mark moves on to the next answer; every change is saved at once (marks.json beside the
sheets, atomically, in a worker), so quitting or a crash loses nothing. A save that fails is
shown on the status line and kept in memory: r retries, and quitting asks once more before
leaving marks unsaved.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Horizontal
from textual.reactive import reactive
from textual.widgets import Header, Static

from quiz.sheets.marks import MARKS_FILE, Mark, Marks, parse_mark
from quiz.tui.mark.answer_panel import AnswerPanel, with_line_breaks
from quiz.tui.mark.journal import Change, MarkJournal
from quiz.tui.mark.messages import MarksSaved, MarksSaveFailed
from quiz.tui.mark.model import ClassToMark, StudentAnswer
from quiz.tui.mark.prompt import PromptScreen
from quiz.tui.mark.texts import (
    FAILED,
    SAVED,
    SAVING,
    mark_text,
    progress_text,
    save_text,
    score_label,
)
from quiz.tui.mark.writer import MarksWriter
from quiz.tui.screens.base import QuizScreen
from quiz.tui.widgets.bank_text import BankText
from quiz.tui.widgets.quiz_footer import QuizFooter

WIDE = 120  # columns from which the student's answer and the reference stand side by side
EXIT_SAVED, EXIT_UNSAVED = 0, 1
SCORE_HINT = "对 / 半对 / 错，或 7/10、0.8、80%（0 到 1 之间）· Enter 确定 · Esc 取消"
UNDONE = "↶ 已撤销 undone · "
NOTE_HINT = "给这份答案的备注（空 = 删除备注）· Enter 保存 · Esc 取消"
NOTE_HINT_UNMARKED = "这份还没评分：备注在评分时一起保存 · Enter 确定 · Esc 取消"


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def score_problem(text: str) -> str | None:
    if parse_mark(text) is None:
        return f"看不懂这个分数：{text.strip() or '（空）'} — 写 对 / 半对 / 错，或 0 到 1 的分数"
    return None


class MarkScreen(QuizScreen[None]):
    # The tooltip is the help screen's (?) description of each key.
    BINDINGS = [
        Binding("1,y", "mark(1.0)", "对", tooltip="对 right (1)，并到下一份"),
        Binding("2,h", "mark(0.5)", "半对", tooltip="半对 half right (0.5)，并到下一份"),
        Binding("3,n", "mark(0.0)", "错", tooltip="错 wrong (0)，并到下一份"),
        Binding("s", "ask_score", "分数", tooltip="输入分数 type a score: 7/10、0.8、80%"),
        Binding("N", "ask_note", "备注", tooltip="写 / 改备注 add or edit a note"),
        Binding("u,ctrl+z", "undo", "撤销",
                tooltip="撤销上一次评分或备注（可连续）undo the last change (repeatable)"),
        # Priority: the focused answer box would otherwise take ←/→ to scroll sideways.
        Binding("left,k", "move(-1)", "上一个", priority=True,
                tooltip="上一份答案 previous answer"),
        Binding("right,j", "move(1)", "下一个", priority=True,
                tooltip="下一份答案 next answer"),
        Binding("r", "retry_save", "重试保存", tooltip="保存失败后重试 retry a failed save"),
        Binding("e", "toggle_errata", "勘误", show=False,
                tooltip="展开 / 收起参考答案的来源勘误 show / fold the source notes"),
    ]

    position: reactive[int] = reactive(0, init=False, bindings=True)
    marked: reactive[int] = reactive(0, init=False)
    save_state: reactive[str] = reactive(SAVED, init=False, bindings=True)
    can_undo: reactive[bool] = reactive(False, init=False, bindings=True)

    def __init__(self, marking: ClassToMark, clock: Callable[[], datetime]) -> None:
        super().__init__()
        self.marking = marking
        self.clock = clock
        self.journal = MarkJournal(marking.marks)
        self.writer = MarksWriter(marking.folder)
        self.quit_armed = False  # a save failed on quitting: the next quit leaves unsaved
        self._marked_keys = {(m.student_key, m.question_id) for m in marking.marks.entries}
        self._marked_keys |= {(a.student_key, a.question_id) for a in marking.answers
                              if a.sheet_mark is not None}

    # Layout -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="mark-progress")
        yield BankText(id="mark-question")
        with Container(id="mark-answers"):
            yield AnswerPanel("学生答案", id="mark-student")
            # The bank's notes on its sources fold into one line: the teacher marks against
            # the answer, and `e` shows the notes.
            yield AnswerPanel("参考答案", errata_expanded=False, id="mark-reference")
        with Horizontal(id="mark-bar"):
            yield Static(id="mark-status")
            yield Static(id="mark-saved")
        yield QuizFooter()

    def on_mount(self) -> None:
        self.sub_title = f"评阅 {self.marking.folder.name or self.marking.folder}"
        self.marked = len(self._marked_keys)
        self.query_one("#mark-saved", Static).update(save_text(SAVED))
        self.set_reactive(MarkScreen.position, self.first_unmarked(0) or 0)
        self.show_answer()
        self.query_one("#mark-reference").focus()
        if self.marking.refused:
            names = "、".join(refused.path.name for refused in self.marking.refused)
            self.notify(f"{len(self.marking.refused)} 份答卷无法读取，未列入：{names}",
                        title="答卷有问题", severity="warning", timeout=10, markup=False)

    def on_resize(self, event: events.Resize) -> None:
        self.query_one("#mark-answers").set_class(event.size.width >= WIDE, "-wide")

    # What is on screen -------------------------------------------------------------------

    @property
    def answer(self) -> StudentAnswer:
        return self.marking.answers[self.position]

    def effective_mark(self, answer: StudentAnswer) -> tuple[Mark | None, bool]:
        """The answer's mark and whether it comes from a `评：` line (marks.json wins)."""
        mark = self.journal.get(answer.student_key, answer.question_id)
        if mark is not None:
            return mark, False
        return answer.sheet_mark, answer.sheet_mark is not None

    def show_answer(self) -> None:
        answer = self.answer
        item = self.marking.item_of(answer)
        classmates = self.marking.answers_to(answer.question_id)
        self.query_one("#mark-progress", Static).update(progress_text(
            item=self.marking.items.index(item) + 1, items=len(self.marking.items),
            question_id=item.question_id, student=classmates.index(answer) + 1,
            students=len(classmates), name=answer.student, marked=self.marked,
            total=len(self.marking.answers)))
        self.query_one("#mark-question", BankText).update(f"**{item.number}.** {item.prompt}")
        self.query_one("#mark-student", AnswerPanel).show(
            with_line_breaks(answer.answer), f"学生答案 · {answer.student} · {answer.sheet.name}")
        reference = self.query_one("#mark-reference", AnswerPanel)
        if reference.markdown != item.reference:
            reference.show(item.reference)
        self.show_mark()

    def show_mark(self, prefix: str = "") -> None:
        answer = self.answer
        mark, from_sheet = self.effective_mark(answer)
        text = mark_text(mark, from_sheet=from_sheet,
                         pending_note=self.journal.pending_note(answer.student_key,
                                                                answer.question_id))
        if prefix:
            text = Text(prefix, style="bold") + text
        self.query_one("#mark-status", Static).update(text)

    def watch_position(self) -> None:
        self.show_answer()

    def watch_marked(self) -> None:
        self.show_answer()

    def watch_save_state(self, state: str) -> None:
        self.query_one("#mark-saved", Static).update(save_text(state))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "move":
            step = parameters[0] if parameters else 0
            target = self.position + (step if isinstance(step, int) else 0)
            return True if 0 <= target < len(self.marking.answers) else None
        if action == "undo":
            return True if self.can_undo else None
        if action == "retry_save":
            return self.save_state == FAILED
        return True

    # Moving ------------------------------------------------------------------------------

    def action_move(self, step: int) -> None:
        target = self.position + step
        if 0 <= target < len(self.marking.answers):
            self.position = target

    def first_unmarked(self, start: int) -> int | None:
        """The first answer from `start` on (then from the top) that has no mark."""
        count = len(self.marking.answers)
        for offset in range(count):
            index = (start + offset) % count
            answer = self.marking.answers[index]
            if (answer.student_key, answer.question_id) not in self._marked_keys:
                return index
        return None

    def move_on(self) -> None:
        """After a mark: the next answer; past the last, the first one still unmarked."""
        if self.position + 1 < len(self.marking.answers):
            self.position += 1
            return
        unmarked = self.first_unmarked(0)
        if unmarked is None:
            self.notify("全部评完，已保存 · every answer is marked", timeout=5)
        else:
            self.notify(f"还有 {len(self.marking.answers) - self.marked} 份未评，跳到第一份",
                        timeout=5)
            self.position = unmarked

    # Marking -----------------------------------------------------------------------------

    def now(self) -> str:
        return iso_utc(self.clock())

    def action_mark(self, score: float) -> None:
        answer = self.answer
        change = self.journal.mark(answer.student_key, answer.question_id, float(score),
                                   self.now())
        if change is not None:
            self.record(change)
        self.move_on()

    def action_ask_score(self) -> None:
        mark, _from_sheet = self.effective_mark(self.answer)
        value = "" if mark is None else score_label(mark.score)
        self.app.push_screen(PromptScreen(f"分数 · {self.answer.student}", SCORE_HINT, value,
                                          check=score_problem), self.mark_typed_score)

    def mark_typed_score(self, text: str | None) -> None:
        score = None if text is None else parse_mark(text)
        if score is not None:
            self.action_mark(score)

    def action_ask_note(self) -> None:
        answer = self.answer
        mark, _from_sheet = self.effective_mark(answer)
        note = mark.note if mark is not None else \
            self.journal.pending_note(answer.student_key, answer.question_id)
        hint = NOTE_HINT if mark is not None else NOTE_HINT_UNMARKED
        self.app.push_screen(PromptScreen(f"备注 · {answer.student}", hint, note),
                             self.save_note)

    def save_note(self, text: str | None) -> None:
        if text is None:
            return
        answer = self.answer
        mark, from_sheet = self.effective_mark(answer)
        if from_sheet and mark is not None and self.journal.get(
                answer.student_key, answer.question_id) is None:
            # A note on a `评：` mark: the mark moves into marks.json with its note.
            self.journal.mark(answer.student_key, answer.question_id, mark.score, self.now())
        change = self.journal.note(answer.student_key, answer.question_id, text, self.now())
        if change is not None:
            self.record(change)
        self.show_mark()

    def action_undo(self) -> None:
        change = self.journal.undo()
        if change is None:
            self.notify("没有可撤销的评分 · nothing to undo", timeout=2)
            return
        self.record(change)
        self.position = self.index_of(change.student_key, change.question_id, self.position)
        # Said on the status line, not in a toast: undoing twenty marks would stack twenty.
        self.show_mark(prefix=UNDONE)

    def index_of(self, student_key: str, question_id: str, default: int) -> int:
        for index, answer in enumerate(self.marking.answers):
            if (answer.student_key, answer.question_id) == (student_key, question_id):
                return index
        return default

    def record(self, change: Change) -> None:
        """After a change or an undo: count, show and save."""
        key = (change.student_key, change.question_id)
        answer = next((a for a in self.marking.answers
                       if (a.student_key, a.question_id) == key), None)
        if self.journal.get(*key) is not None or (answer is not None and answer.sheet_mark):
            self._marked_keys.add(key)
        else:
            self._marked_keys.discard(key)
        self.can_undo = self.journal.can_undo
        self.marked = len(self._marked_keys)
        self.show_mark()
        self.save_state = SAVING
        self.write_marks(self.journal.marks, self.journal.version)

    # Saving ------------------------------------------------------------------------------

    @work(thread=True, group="mark-save", exit_on_error=False)
    def write_marks(self, marks: Marks, version: int, then_quit: bool = False) -> None:
        try:
            self.writer.write(marks, version)
        except OSError as error:
            reason = f"{error.filename or MARKS_FILE}: {error.strerror or error}"
            self.post_message(MarksSaveFailed(version, reason, then_quit))
            return
        self.post_message(MarksSaved(version, then_quit))

    @on(MarksSaved)
    def confirm_saved(self, message: MarksSaved) -> None:
        if self.writer.saved_version >= self.journal.version:
            self.save_state = SAVED
        if message.then_quit:
            self.app.exit(EXIT_SAVED, return_code=EXIT_SAVED)

    @on(MarksSaveFailed)
    def show_save_failure(self, message: MarksSaveFailed) -> None:
        if self.writer.saved_version >= message.version:
            return  # a newer save went through after this one failed
        self.save_state = FAILED
        text = f"评分未能保存：{message.reason}（r 重试）"
        if message.then_quit:
            self.quit_armed = True
            text += " · 再按 q 不保存退出"
        self.notify(text, title="保存失败", severity="error", timeout=10, markup=False)

    def action_toggle_errata(self) -> None:
        self.query_one("#mark-reference", AnswerPanel).toggle_errata()

    def action_retry_save(self) -> None:
        self.save_state = SAVING
        self.write_marks(self.journal.marks, self.journal.version)

    def request_quit(self) -> None:
        """Quit once the newest marks are saved; after a failed save, a second request quits
        without them."""
        if self.writer.saved_version >= self.journal.version:
            self.app.exit(EXIT_SAVED, return_code=EXIT_SAVED)
        elif self.quit_armed:
            self.app.exit(EXIT_UNSAVED, return_code=EXIT_UNSAVED)
        else:
            self.save_state = SAVING
            self.write_marks(self.journal.marks, self.journal.version, then_quit=True)

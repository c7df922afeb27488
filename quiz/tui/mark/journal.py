"""The marks of a marking session and the changes made to them, newest last.

Marks are immutable (`quiz.sheets.marks.Marks`): each change keeps the value it replaced, so undo
puts it back exactly — a mark that was not there is removed again, an old score or note returns.
Every change, and every undo, raises `version`: the writer saves versions in order and never an
older one over a newer one.

A note typed for an answer not marked yet waits here and goes into the mark when it is made
(marks.json has no note without a score).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from quiz.sheets.marks import Mark, Marks


@dataclass(frozen=True)
class Change:
    student_key: str
    question_id: str
    before: Mark | None
    after: Mark | None


class MarkJournal:
    def __init__(self, marks: Marks) -> None:
        self.marks = marks
        self.version = 0
        self._changes: list[Change] = []
        self._pending_notes: dict[tuple[str, str], str] = {}

    @property
    def can_undo(self) -> bool:
        return bool(self._changes)

    def get(self, student_key: str, question_id: str) -> Mark | None:
        return self.marks.get(student_key, question_id)

    def pending_note(self, student_key: str, question_id: str) -> str:
        return self._pending_notes.get((student_key, question_id), "")

    def mark(self, student_key: str, question_id: str, score: float,
             marked_at: str) -> Change | None:
        """Mark an answer (keeping its note, or the note waiting for it). The same score again
        is no change: the mark keeps its time and the undo history stays as it was."""
        before = self.marks.get(student_key, question_id)
        if before is not None and before.score == score:
            return None
        note = (before.note if before is not None
                else self._pending_notes.pop((student_key, question_id), ""))
        return self._apply(Change(student_key, question_id, before,
                                  Mark(student_key, question_id, score, note, marked_at)))

    def note(self, student_key: str, question_id: str, text: str,
             marked_at: str) -> Change | None:
        """Set an answer's note; on an unmarked answer it waits for the mark (None: nothing to
        save yet)."""
        text = text.strip()
        before = self.marks.get(student_key, question_id)
        if before is None:
            if text:
                self._pending_notes[(student_key, question_id)] = text
            else:
                self._pending_notes.pop((student_key, question_id), None)
            return None
        if before.note == text:
            return None
        return self._apply(Change(student_key, question_id, before,
                                  replace(before, note=text, marked_at=marked_at)))

    def undo(self) -> Change | None:
        """Take back the newest change; None when there is none."""
        if not self._changes:
            return None
        change = self._changes.pop()
        if change.before is None:
            self.marks = self.marks.without(change.student_key, change.question_id)
        else:
            self.marks = self.marks.with_mark(change.before)
        self.version += 1
        return change

    def _apply(self, change: Change) -> Change:
        assert change.after is not None
        self.marks = self.marks.with_mark(change.after)
        self._changes.append(change)
        self.version += 1
        return change

"""A numeric question: its prompt, an answer input, and after Enter the verdict and solution."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static

from quiz.numeric import Status, Verdict
from quiz.render.safe import safe_text
from quiz.tui.widgets.bank_text import BankText

STATUS_STYLE = {Status.RIGHT: "bold green", Status.WRONG: "bold red",
                Status.UNPARSEABLE: "bold yellow"}
STATUS_LABEL = {Status.RIGHT: "✔ 正确 right", Status.WRONG: "✘ 不对 wrong",
                Status.UNPARSEABLE: "? 看不懂 unparseable"}
PLACEHOLDER = "输入答案后回车 · type the answer, Enter (如 112x112、73728、1.2e8)"


@dataclass
class AnswerSubmitted(Message):
    text: str


class NumericPanel(Vertical):
    AnswerSubmitted = AnswerSubmitted

    def compose(self) -> ComposeResult:
        yield BankText(id="numeric-prompt")
        yield Input(placeholder=PLACEHOLDER, id="numeric-answer")
        yield Static(id="numeric-verdict")
        yield BankText(id="numeric-worked")

    def show_prompt(self, prompt: str) -> None:
        self.query_one("#numeric-prompt", BankText).update(prompt)
        answer = self.query_one(Input)
        answer.value, answer.disabled = "", False
        self.query_one("#numeric-verdict", Static).update("")
        self.query_one("#numeric-worked", BankText).update("")
        answer.focus()

    async def show_verdict(self, verdict: Verdict) -> None:
        text = Text()
        text.append(STATUS_LABEL[verdict.status], style=STATUS_STYLE[verdict.status])
        text.append(f"  {safe_text(verdict.message)}")  # it quotes the learner's answer
        if verdict.mistake:
            text.append("\n错因 mistake: ", style="bold")
            text.append(safe_text(verdict.mistake))
        self.query_one("#numeric-verdict", Static).update(text)
        if verdict.status is Status.UNPARSEABLE:
            return
        self.query_one(Input).disabled = True
        self.query_one("#numeric-worked", BankText).update(verdict.worked)

    @on(Input.Submitted, "#numeric-answer")
    def submit_answer(self, event: Input.Submitted) -> None:
        # An empty answer is posted too: the study screen treats it (and "?") as "show me".
        event.stop()
        self.post_message(AnswerSubmitted(event.value))

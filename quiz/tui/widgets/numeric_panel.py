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
from quiz.numeric.feedback import verdict_parts
from quiz.render.generated import escape_markdown, generated_markdown
from quiz.render.safe import safe_text
from quiz.render.terminal import BankMarkdown
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
        message, worked = verdict_parts(verdict.message, verdict.worked, label_shown=True)
        self.query_one("#numeric-verdict", Static).update(
            BankMarkdown(_verdict_markdown(verdict, message), lead=_label(verdict.status)))
        if verdict.status is Status.UNPARSEABLE:
            return
        self.query_one(Input).disabled = True
        self.query_one("#numeric-worked", BankText).update(generated_markdown(worked))

    @on(Input.Submitted, "#numeric-answer")
    def submit_answer(self, event: Input.Submitted) -> None:
        # An empty answer is posted too: the study screen treats it (and "?") as "show me".
        event.stop()
        self.post_message(AnswerSubmitted(event.value))


def _label(status: Status) -> Text:
    return Text.assemble((STATUS_LABEL[status], STATUS_STYLE[status]), "  ")


def _verdict_markdown(verdict: Verdict, message: str) -> str:
    """The message as bank Markdown (math in Unicode, wrapped like Chinese), with the named
    mistake when the message does not already name it."""
    if verdict.status is Status.UNPARSEABLE:
        return escape_markdown(safe_text(message))  # it quotes the learner's answer
    text = generated_markdown(safe_text(message))
    if verdict.mistake and verdict.mistake not in message:
        text += f"\n\n**错因 mistake**：{generated_markdown(safe_text(verdict.mistake))}"
    return text

"""A widget showing bank Markdown with CJK-aware wrapping (`quiz.render.terminal.BankMarkdown`).

The text is laid out for the widget's width on every render, so it re-wraps when the terminal is
resized. Bank text is never read as Textual or Rich markup.

    text = BankText(answer, errata_expanded=False)
    text.update(other_answer)             # new content, keeps the errata setting
    text.errata_expanded = True           # reactive: re-renders with the notes in full
    text.errata_count                     # how many 勘误 / 口径 notes the content has
"""

from __future__ import annotations

from textual.reactive import reactive
from textual.widgets import Static

from quiz.render.terminal import BankMarkdown


class BankText(Static):
    DEFAULT_CSS = """
    BankText {
        height: auto;
    }
    """

    errata_expanded: reactive[bool] = reactive(True, init=False)

    def __init__(self, markdown: str = "", *, errata_expanded: bool = True,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, markup=False)
        self.set_reactive(BankText.errata_expanded, errata_expanded)
        self._markdown = markdown
        self._document = BankMarkdown(markdown, errata_expanded=errata_expanded)
        super().update(self._document)

    @property
    def markdown(self) -> str:
        return self._markdown

    @property
    def document(self) -> BankMarkdown:
        """The laid-out document (its `lines(width)` is what is painted)."""
        return self._document

    @property
    def errata_count(self) -> int:
        return self._document.errata_count

    def update(self, markdown: str = "", *, layout: bool = True) -> None:  # type: ignore[override]
        """Show `markdown` (bank Markdown, not Textual markup). The same text again costs
        nothing: the parsed document is kept."""
        if markdown == self._markdown and self._document.errata_expanded == self.errata_expanded:
            return
        self._markdown = markdown
        self._document = BankMarkdown(markdown, errata_expanded=self.errata_expanded)
        super().update(self._document, layout=layout)

    def watch_errata_expanded(self) -> None:
        self.update(self._markdown)

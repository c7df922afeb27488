"""The screen's keys on one line, drawn as text by one widget.

Textual's Footer is a container of one widget per key, rebuilt (unmounted, created, styled,
mounted) on every bindings change: in study each card changes the keys twice, and the rebuilds
were most of the time from a rating to the next card painted (bench/study.py). Here a bindings
change only marks the line for repainting; the keys are read from `screen.active_bindings` as the
line is drawn, so any number of changes before a frame cost one short render.

It draws what the stock Footer draws for quiz's bindings (no binding groups, the command palette
key hidden): ` key ` in the key colours, then `description ` in the description colours; a key
that does not apply now is dimmed. A click on a key presses it.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget


@dataclass(frozen=True)
class FooterEntry:
    """One key as the footer shows it."""

    key: str  # what a click simulates
    display: str  # how the key is written (`get_key_display`)
    description: str
    enabled: bool


class QuizFooter(Widget, can_focus=False):
    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"quiz-footer--key", "quiz-footer--description"}
    DEFAULT_CSS = """
    QuizFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        .quiz-footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .quiz-footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._spans: list[tuple[int, int, FooterEntry]] = []  # cells [start, end) of each key

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _screen: Screen[object]) -> None:
        self.refresh()

    @property
    def entries(self) -> list[FooterEntry]:
        """The keys shown now, in the order the screen's bindings give them (one per action)."""
        seen: set[str] = set()
        entries: list[FooterEntry] = []
        app = self.app
        for _node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if not binding.show or binding.action in seen:
                continue
            if binding.action == "app.command_palette":
                continue  # reached by ctrl+p; its entry is left out so the keys fit 80 columns
            seen.add(binding.action)
            entries.append(FooterEntry(binding.key, app.get_key_display(binding),
                                       binding.description, enabled))
        return entries

    def render(self) -> Text:
        key_style = self.get_component_rich_style("quiz-footer--key", partial=True)
        description_style = self.get_component_rich_style("quiz-footer--description",
                                                          partial=True)
        line = Text(no_wrap=True, overflow="crop", end="")
        spans: list[tuple[int, int, FooterEntry]] = []
        for entry in self.entries:
            start = line.cell_len
            dim = Style(dim=not entry.enabled)
            line.append(f" {entry.display} ", key_style + dim)
            if entry.description:
                line.append(f"{entry.description} ", description_style + dim)
            spans.append((start, line.cell_len, entry))
        self._spans = spans
        return line

    def on_click(self, event: events.Click) -> None:
        for start, end, entry in self._spans:
            if start <= event.x < end:
                if entry.enabled:
                    self.app.simulate_key(entry.key)
                else:
                    self.app.bell()
                return

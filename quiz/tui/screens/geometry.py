"""The geometry of a numeric card's layer, as the engine computes it: the padded input grid, the
kernel at its first positions with stride and dilation, and the output grid (Dumoulin & Visin's
figures), drawn to the screen's width. Opened with `g` on a numeric card; `g` / `escape` closes."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from quiz.engine.picture import LayerPicture
from quiz.tui.screens.base import QuizModalScreen


class GeometryScreen(QuizModalScreen[None]):
    DEFAULT_CSS = """
    GeometryScreen {
        align: center middle;
    }
    GeometryScreen > VerticalScroll {
        width: 100%;
        max-width: 100;
        height: 100%;
        padding: 0 1;
        border: round $accent;
        background: $panel;
    }
    """
    BINDINGS = [Binding("escape,g", "close", "关闭 Close")]

    def __init__(self, picture: LayerPicture) -> None:
        super().__init__()
        self.picture = picture

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(id="geometry")

    def on_mount(self) -> None:
        self.draw()

    def on_resize(self) -> None:
        self.draw()

    def draw(self) -> None:
        from quiz.render.geometry import draw_geometry

        width = max(self.size.width - 6, 40)
        self.query_one("#geometry", Static).update(draw_geometry(self.picture, width=width))

    def action_close(self) -> None:
        self.dismiss(None)

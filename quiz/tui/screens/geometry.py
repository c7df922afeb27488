"""The geometry of a numeric card, as the engine computes it, drawn to the screen's width. For one
sliding-window layer: the padded input grid, the kernel at its first positions with stride and
dilation, and the output grid (Dumoulin & Visin's figures). For a receptive-field card: which
input pixels reach the last layer's centre unit and how strongly (the effective field of Luo et
al. 2016) inside the theoretical field's box. Opened with `g` on a numeric card; `g` / `escape`
closes."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from quiz.engine.erf import EffectiveField
from quiz.engine.picture import LayerPicture
from quiz.tui.screens.base import QuizModalScreen

Figure = LayerPicture | EffectiveField


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

    def __init__(self, picture: Figure) -> None:
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
        width = max(self.size.width - 6, 40)
        if isinstance(self.picture, EffectiveField):
            from quiz.render.rf_picture import draw_effective_field

            rows = max(self.size.height - 14, 8)  # the header, legend and notes take ~12 lines
            figure = draw_effective_field(self.picture, width=width, max_rows=rows)
        else:
            from quiz.render.geometry import draw_geometry

            figure = draw_geometry(self.picture, width=width)
        self.query_one("#geometry", Static).update(figure)

    def action_close(self) -> None:
        self.dismiss(None)

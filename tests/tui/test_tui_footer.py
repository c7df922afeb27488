"""QuizFooter: the screen's keys drawn as one line of text. A bindings change repaints the line
(no widgets are rebuilt); the line shows each action once, dims keys that do not apply now, and
a click on a key presses it."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from quiz.tui.widgets.quiz_footer import QuizFooter


class CountingFooter(QuizFooter):
    renders = 0

    def render(self):  # type: ignore[no-untyped-def]
        self.renders += 1
        return super().render()


class KeysScreen(Screen[None]):
    """`x` changes the bindings three times in one handler; `b` applies after odd counts."""

    BINDINGS = [
        Binding("a", "alpha", "Alpha"),
        Binding("b", "beta", "Beta"),
        Binding("B", "beta", "Beta again"),  # a second key of the same action: shown once
        Binding("x", "flip(3)", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.beta_on = False
        self.pressed: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static("body")
        yield CountingFooter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "beta":
            return True if self.beta_on else None  # None: shown dimmed
        return True

    def action_alpha(self) -> None:
        self.pressed.append("alpha")

    def action_beta(self) -> None:
        self.pressed.append("beta")

    def action_flip(self, times: int) -> None:
        for _ in range(times):
            self.beta_on = not self.beta_on
            self.refresh_bindings()


class KeysApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.keys_screen = KeysScreen()

    def on_mount(self) -> None:
        self.push_screen(self.keys_screen)


def _line(footer: QuizFooter) -> str:
    return footer.render().plain


async def test_footer_lists_each_action_once_and_dims_what_does_not_apply() -> None:
    app = KeysApp()
    async with app.run_test(size=(60, 5)) as pilot:
        await pilot.pause()
        footer = app.keys_screen.query_one(CountingFooter)
        assert [(e.key, e.description, e.enabled) for e in footer.entries] == [
            ("a", "Alpha", True), ("b", "Beta", False)]
        assert _line(footer) == " a Alpha  b Beta "
        beta = footer.render().divide([9])[1]
        assert all(span.style.dim for span in beta.spans)  # type: ignore[union-attr]
        assert "command" not in _line(footer).lower()  # ctrl+p is left out


async def test_changes_before_a_frame_repaint_the_footer_once() -> None:
    app = KeysApp()
    async with app.run_test(size=(60, 5)) as pilot:
        await pilot.pause()
        footer = app.keys_screen.query_one(CountingFooter)
        footer.renders = 0
        await pilot.press("x")  # three bindings changes in one handler
        for _ in range(3):
            await pilot.pause()
        assert footer.renders == 1
        assert {e.key: e.enabled for e in footer.entries} == {"a": True, "b": True}
        assert "Beta" in app.keys_screen.query_one(CountingFooter).render().plain


async def test_a_click_on_a_key_presses_it_and_a_dimmed_key_does_nothing() -> None:
    app = KeysApp()
    async with app.run_test(size=(60, 5)) as pilot:
        await pilot.pause()
        screen = app.keys_screen
        footer = screen.query_one(CountingFooter)
        await pilot.click(CountingFooter, offset=(4, 0))  # on "Alpha"
        await pilot.click(CountingFooter, offset=(11, 0))  # on "Beta", dimmed: not pressed
        await pilot.pause()
        assert screen.pressed == ["alpha"]
        screen.beta_on = True
        screen.refresh_bindings()
        await pilot.pause()
        assert footer.entries[1].enabled
        await pilot.click(CountingFooter, offset=(11, 0))
        await pilot.pause()
        assert screen.pressed == ["alpha", "beta"]

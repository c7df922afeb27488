"""QuizFooter overrides Textual's Footer internals (`bindings_changed`, `_bindings_ready`,
`recompose`) so that several bindings changes before one refresh share one rebuild (stock Footer
rebuilds once per change: about 8 rebuilds per numeric card in study where QuizFooter makes 6).
Textual is pinned to one minor range for this; these tests fail when those internals change, so
a Textual upgrade is checked here before the pin is moved."""

from __future__ import annotations

import ast
import inspect
import textwrap

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.reactive import Reactive
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Static
from textual.widgets._footer import FooterKey

from quiz.tui.widgets.quiz_footer import QuizFooter

# Footer.bindings_changed as QuizFooter copies it (Textual 8.2); QuizFooter only adds the
# pending flag, so the two must stay alike.
STOCK_BINDINGS_CHANGED = """
def bindings_changed(self, screen):
    self._bindings_ready = True
    if not screen.app.app_focus:
        return
    if self.is_attached and screen is self.screen:
        self.call_after_refresh(self.recompose)
"""


def _body(source: str) -> str:
    """The statements of a function, without annotations, comments or layout."""
    function = ast.parse(textwrap.dedent(source)).body[0]
    assert isinstance(function, ast.FunctionDef)
    return ast.dump(ast.Module(body=function.body, type_ignores=[]))


def test_footer_still_has_the_internals_quiz_footer_overrides() -> None:
    assert _body(inspect.getsource(Footer.bindings_changed)) == _body(STOCK_BINDINGS_CHANGED), \
        "Textual changed Footer.bindings_changed: check QuizFooter against it"
    assert list(inspect.signature(Footer.bindings_changed).parameters) == ["self", "screen"]
    assert isinstance(vars(Footer)["_bindings_ready"], Reactive)
    assert "self._bindings_ready" in inspect.getsource(Footer.compose)
    assert "self.bindings_changed" in inspect.getsource(Footer.on_mount)
    assert Footer.recompose is Widget.recompose
    assert inspect.iscoroutinefunction(Widget.recompose)


class Counting:
    """Counts a footer's bindings changes and rebuilds (mixed in before the footer class)."""

    changes = rebuilds = 0

    def bindings_changed(self, screen: Screen[object]) -> None:
        self.changes += 1
        super().bindings_changed(screen)  # type: ignore[misc]

    async def recompose(self) -> None:
        self.rebuilds += 1
        await super().recompose()  # type: ignore[misc]


class CountingFooter(Counting, Footer):
    """Stock Footer, counted."""


class CountingQuizFooter(Counting, QuizFooter):
    """quiz's footer, counted."""


class KeysScreen(Screen[None]):
    """`x` changes the bindings three times in one handler; `b` is enabled after odd counts."""

    BINDINGS = [
        Binding("a", "alpha", "Alpha"),
        Binding("b", "beta", "Beta"),
        Binding("x", "flip(3)", show=False),
    ]

    def __init__(self, footer: CountingFooter | CountingQuizFooter) -> None:
        super().__init__()
        self.footer = footer
        self.beta_on = False

    def compose(self) -> ComposeResult:
        yield Static("body")
        yield self.footer

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "beta":
            return True if self.beta_on else None  # None: shown dimmed
        return True

    def action_alpha(self) -> None:
        pass

    def action_beta(self) -> None:
        pass

    def action_flip(self, times: int) -> None:
        for _ in range(times):
            self.beta_on = not self.beta_on
            self.refresh_bindings()


class KeysApp(App[None]):
    ENABLE_COMMAND_PALETTE = False

    def __init__(self, footer: CountingFooter | CountingQuizFooter) -> None:
        super().__init__()
        self.keys_screen = KeysScreen(footer)

    def on_mount(self) -> None:
        self.push_screen(self.keys_screen)


def _keys(footer: Footer) -> dict[str, bool]:
    """The footer's keys on screen: description → enabled."""
    return {key.description: "-disabled" not in key.classes
            for key in footer.query(FooterKey)}


async def _three_changes(footer: CountingFooter | CountingQuizFooter) -> dict[str, bool]:
    """Press `x` (three bindings changes before the next refresh); the footer's keys after."""
    app = KeysApp(footer)
    async with app.run_test(size=(60, 5)) as pilot:
        for _ in range(50):
            if _keys(footer):
                break
            await pilot.pause(0.02)
        assert _keys(footer) == {"Alpha": True, "Beta": False}
        await pilot.pause()
        footer.changes = footer.rebuilds = 0
        await pilot.press("x")
        for _ in range(5):
            await pilot.pause()
        assert footer.changes == 3
        return _keys(footer)


async def test_quiz_footer_rebuilds_once_for_changes_before_a_refresh() -> None:
    footer = CountingQuizFooter()
    assert await _three_changes(footer) == {"Alpha": True, "Beta": True}
    assert footer.rebuilds == 1


async def test_stock_footer_still_rebuilds_for_every_change() -> None:
    """If this fails, Textual's Footer coalesces rebuilds itself: QuizFooter can go."""
    footer = CountingFooter()
    assert await _three_changes(footer) == {"Alpha": True, "Beta": True}
    assert footer.rebuilds == 3

"""Textual's Footer, rebuilt at most once per refresh.

The stock footer schedules a full rebuild of its keys for every bindings change (focus moves,
state changes), several per card in study; the rebuilds dominated the time from a rating to the
next card. Here changes arriving before the next refresh share one rebuild (Textual 8.2, a
numeric card: about 6 rebuilds instead of 8, some 15-30 ms each).

This overrides Footer's internals (`bindings_changed`, `_bindings_ready`, `recompose`), so
pyproject.toml pins Textual to one minor range and tests/tui/test_tui_footer.py fails when
those internals change.
"""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class QuizFooter(Footer):
    _rebuild_pending = False

    def bindings_changed(self, screen: Screen[object]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._rebuild_pending:
            self._rebuild_pending = True
            self.call_after_refresh(self._rebuild)

    async def _rebuild(self) -> None:
        self._rebuild_pending = False
        await self.recompose()

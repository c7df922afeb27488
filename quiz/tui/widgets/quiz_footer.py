"""Textual's Footer, rebuilt at most once per refresh.

The stock footer schedules a full rebuild of its keys for every bindings change (focus moves,
state changes), several per card in study; the rebuilds dominated the time from a rating to the
next card. Here changes arriving before the next refresh share one rebuild.
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

"""On a study card: `g` draws the numeric instance's layer (the engine's picture, the same as
`quiz calc … --draw`) or, on a receptive-field card, the effective field inside the theoretical
one (as `quiz calc net --draw-rf`); snapshots of both drawings; and `E` opens the card's
Markdown in $VISUAL / $EDITOR at its line, syncs the bank again on return and shows the edited
text, its history kept."""

from __future__ import annotations

import contextlib
import shutil
import sys
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from textual.widgets import Static
from textual.worker import WorkerFailed

from quiz.bank.parser import load_bank
from quiz.engine.erf import instance_effective_field
from quiz.engine.netspec import parse_layer
from quiz.engine.picture import net_picture, spec_picture
from quiz.numeric import instantiate, load_templates, solve
from quiz.paths import bundled_bank_dir
from quiz.render.geometry import geometry_text
from quiz.render.rf_picture import effective_field_text
from quiz.store.actions import apply_review
from quiz.store.db import open_database
from quiz.store.log import history
from quiz.store.scheduling import Grade, make_scheduler
from quiz.store.sync import import_bank
from quiz.tui.app import QuizApp, make_app
from quiz.tui.screens.geometry import Figure, GeometryScreen
from quiz.tui.screens.study import StudyScreen
from tests.conftest import FIXED_NOW

ONE_QUESTION = """\
# 卷积基础

## 1×1 卷积有什么作用？

```meta
id: conv-1x1
sources: 000#2.2
tags: 卷积变种
kind: concept
```

跨通道线性组合。
"""

# The fake editor: `+LINE FILE`, as vi, nano and emacs take them; it marks the heading there.
EDITOR = """\
import sys
line, path = int(sys.argv[1][1:]), sys.argv[2]
lines = open(path, encoding="utf-8").read().split("\\n")
lines[line - 1] = lines[line - 1] + "（已改）"
open(path, "w", encoding="utf-8").write("\\n".join(lines))
"""


def _app(db_url: str, bank: Path) -> QuizApp:
    return make_app(db_url=db_url, bank_dir=bank, sync_bank_on_start=True,
                    clock=lambda: FIXED_NOW, fuzz=False)


async def _settle(pilot) -> None:  # type: ignore[no-untyped-def]
    for _ in range(5):
        with contextlib.suppress(WorkerFailed):
            await pilot.app.workers.wait_for_complete()
        await pilot.pause()


@pytest.fixture
def numeric_bank(tmp_path: Path) -> Path:
    folder = tmp_path / "numeric"
    folder.mkdir()
    text = (bundled_bank_dir() / "numeric-output-size.md").read_text(encoding="utf-8")
    (folder / "conv.md").write_text(text.split("\n## 空洞卷积")[0], encoding="utf-8")
    return folder


async def test_g_draws_the_numeric_instances_layer(db_url: str, numeric_bank: Path) -> None:
    app = _app(db_url, numeric_bank)
    async with app.run_test(size=(100, 40)) as pilot:
        await _settle(pilot)
        await pilot.press("s")
        await _settle(pilot)
        screen = app.screen
        assert isinstance(screen, StudyScreen) and screen.instance is not None
        await pilot.press("g")  # typed into the empty answer: it opens the picture
        await _settle(pilot)
        assert isinstance(app.screen, GeometryScreen)
        picture = net_picture(screen.instance.nets)
        assert picture is not None
        drawn = str(app.screen.query_one("#geometry", Static).render())
        expected = geometry_text(picture, width=app.screen.size.width - 6)
        assert drawn.splitlines()[:3] == expected.splitlines()[:3]
        assert f"{picture.output_hw[0]}x{picture.output_hw[1]}" in drawn
        await pilot.press("escape")
        await _settle(pilot)
        assert app.screen is screen
        assert screen.query_one("#numeric-answer").value == ""  # type: ignore[attr-defined]


async def test_e_edits_the_card_and_shows_the_new_text_keeping_its_history(
        db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bank = tmp_path / "bank"
    bank.mkdir()
    (bank / "conv.md").write_text(ONE_QUESTION, encoding="utf-8")
    editor = tmp_path / "editor.py"
    editor.write_text(EDITOR, encoding="utf-8")
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", f"{sys.executable} {editor}")
    db = open_database(db_url)
    try:  # studied an hour ago and forgotten: due again now, with one review logged
        import_bank(db, bank, "bundled", FIXED_NOW - timedelta(hours=2))
        apply_review(db, make_scheduler(fuzz=False), "conv-1x1", Grade.AGAIN,
                     FIXED_NOW - timedelta(hours=1))
    finally:
        db.close()
    app = _app(db_url, bank)
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        await pilot.press("s")
        await _settle(pilot)
        screen = app.screen
        assert isinstance(screen, StudyScreen) and screen.item is not None
        assert screen.item.title == "1×1 卷积有什么作用？"
        await pilot.press("E")
        await _settle(pilot)
        assert "1×1 卷积有什么作用？（已改）" in (bank / "conv.md").read_text(encoding="utf-8")
        assert screen.item is not None and screen.item.title == "1×1 卷积有什么作用？（已改）"
        assert [entry.question_id for entry in history(app.context.db)] == ["conv-1x1"]


async def test_e_without_an_editor_says_how_to_set_one(
        db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bank = tmp_path / "bank"
    bank.mkdir()
    (bank / "conv.md").write_text(ONE_QUESTION, encoding="utf-8")
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.delenv("EDITOR", raising=False)
    app = _app(db_url, bank)
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        await pilot.press("s")
        await _settle(pilot)
        await pilot.press("E")
        await _settle(pilot)
        messages = [str(n.message) for n in app._notifications]
        assert any("$EDITOR" in message for message in messages)
        assert (bank / "conv.md").read_text(encoding="utf-8") == ONE_QUESTION


@pytest.fixture
def rf_bank(tmp_path: Path) -> Path:
    folder = tmp_path / "rf"
    folder.mkdir()
    shutil.copy(bundled_bank_dir() / "numeric-receptive-field.md", folder)
    return folder


async def test_g_on_a_receptive_field_card_draws_the_effective_field_in_the_theoretical_one(
        db_url: str, rf_bank: Path) -> None:
    app = _app(db_url, rf_bank)
    async with app.run_test(size=(100, 40)) as pilot:
        await _settle(pilot)
        await pilot.press("s")
        await _settle(pilot)
        screen = app.screen
        assert isinstance(screen, StudyScreen) and screen.instance is not None
        instance = screen.instance
        assert instance.family == "receptive-field"
        await pilot.press("g")
        await _settle(pilot)
        assert isinstance(app.screen, GeometryScreen)
        drawn = str(app.screen.query_one("#geometry", Static).render())
        field = instance_effective_field(instance.nets)
        assert field is not None and field.theoretical is not None
        # The box is the field the card asks for, as the grader computes it.
        size = solve(instance).expected
        side = size if isinstance(size, int) else size[0]
        assert f"theoretical field (the box) {side}x{side}" in drawn
        assert drawn.splitlines()[0] == effective_field_text(
            field, width=app.screen.size.width - 6).splitlines()[0]
        # Every input pixel with a path to the unit lies inside the theoretical field.
        box = field.theoretical
        rows, columns = np.nonzero(field.values)
        assert rows.min() >= box.top and rows.max() <= box.bottom
        assert columns.min() >= box.left and columns.max() <= box.right
        await pilot.press("g")
        await _settle(pilot)
        assert app.screen is screen


def _show(figure: Figure):  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _settle(pilot)
        pilot.app.clear_notifications()  # the start's "bank synced" toast would cover the figure
        await pilot.app.push_screen(GeometryScreen(figure))
        await _settle(pilot)
    return run_before


def test_layer_geometry_snapshot(snap_compare, db_url: str, numeric_bank: Path) -> None:  # type: ignore[no-untyped-def]
    """A 7×7 input, padding 1, a 3×3 kernel with stride 2: Dumoulin & Visin's figure 2.6."""
    picture = spec_picture(parse_layer("conv 1 k3 s2 p1"), (1, 7, 7))
    assert snap_compare(_app(db_url, numeric_bank), terminal_size=(80, 24),
                        run_before=_show(picture))


def test_effective_field_snapshot(snap_compare, db_url: str, rf_bank: Path) -> None:  # type: ignore[no-untyped-def]
    """The fixed instance of num-rf-stack (000#1.2: three 3×3 convs, strides 2, 2, 1)."""
    template = load_templates(load_bank(rf_bank))["num-rf-stack"]
    field = instance_effective_field(instantiate(template, -1).nets)
    assert field is not None
    assert snap_compare(_app(db_url, rf_bank), terminal_size=(80, 24), run_before=_show(field))

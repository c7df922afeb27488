"""Every key of the TUI in one table: the help screen shows it and the README's table is checked
against it.

`KEYS` is written by hand (so each key gets a readable bilingual description and keys that are
not bindings — typing into a field, scrolling — are listed too), and a test checks it against the
`BINDINGS` of the app and of every screen class, both ways. `key_rows()` also adds any binding
the table misses, with the binding's own description, so the help can never leave a key out.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from dataclasses import dataclass

from textual.app import App
from textual.binding import Binding, BindingType
from textual.keys import format_key
from textual.screen import Screen

APP = "app"        # bindings of the app itself: they work on every screen
SCROLL = "scroll"  # keys of every scrollable view (tables, answers, lists)


@dataclass(frozen=True)
class KeyHelp:
    screen: str      # a Screen class name, APP or SCROLL
    keys: str        # Textual key names, comma-separated like a Binding ("u,ctrl+z")
    action: str
    bound: bool = True  # False: a key handled by a widget (typing, scrolling), not a binding


GROUPS: dict[str, str] = {
    APP: "全局 everywhere",
    SCROLL: "滚动 scrolling",
    "HomeScreen": "首页 home",
    "StudyScreen": "学习 study",
    "CustomStudyScreen": "自定义学习 custom study",
    "BrowseScreen": "浏览与搜索 browse & search",
    "QuestionScreen": "题目详情 question",
    "StatsScreen": "统计 stats",
    "SettingsScreen": "设置 settings",
    "LearnersScreen": "学习者 learners",
    "MistakesScreen": "我的错因 my mistakes",
    "GeometryScreen": "几何图 geometry",
    "HelpScreen": "帮助 help",
}

KEYS: list[KeyHelp] = [
    KeyHelp(APP, "q", "退出 quit"),
    KeyHelp(APP, "question_mark,f1", "帮助：所有按键 help: every key"),
    KeyHelp(APP, "tab,shift+tab", "下一个 / 上一个控件 next / previous field", bound=False),
    KeyHelp(SCROLL, "up,down", "上下滚动一行 scroll one line", bound=False),
    KeyHelp(SCROLL, "pageup,pagedown", "上下翻页 scroll one page", bound=False),
    KeyHelp(SCROLL, "home,end", "到开头 / 到末尾 to the top / the bottom", bound=False),
    KeyHelp("HomeScreen", "s,enter", "学习选中的主题，没有选中时学光标所在的主题（第一行=全部）"
            "study the marked topics, else the one under the cursor (first row: all)"),
    KeyHelp("HomeScreen", "space", "选中 / 取消主题 mark / unmark a topic"),
    KeyHelp("HomeScreen", "n", "只学数值题 study numeric questions only"),
    KeyHelp("HomeScreen", "c", "自定义学习 custom study"),
    KeyHelp("HomeScreen", "b", "浏览全部题目 browse every question"),
    KeyHelp("HomeScreen", "slash", "搜索 search"),
    KeyHelp("HomeScreen", "t", "统计 statistics"),
    KeyHelp("HomeScreen", "o", "设置 settings"),
    KeyHelp("HomeScreen", "L", "切换学习者（或新建）switch learner (or make one)"),
    KeyHelp("HomeScreen", "m", "我的错因：常犯的错、趋势 my mistakes: how often, trend"),
    KeyHelp("StudyScreen", "space", "显示答案；再按 = 记得 Good reveal; again: Good"),
    KeyHelp("StudyScreen", "1,2,3,4", "评分 Again / Hard / Good / Easy rate"),
    KeyHelp("StudyScreen", "enter", "显示后：记得 Good；数值题：接受建议评分 after a reveal: Good; "
            "numeric: accept the suggested grade"),
    KeyHelp("StudyScreen", "question_mark", "数值题输入框：放弃并看解答（记为 Again）numeric "
            "input: give up, see the solution (rated Again)", bound=False),
    KeyHelp("StudyScreen", "u,ctrl+z", "撤销上一步：评分、搁置、暂停、标记（可连续）undo the last "
            "rating, bury, suspend or flag (repeatable)"),
    KeyHelp("StudyScreen", "e", "展开 / 收起来源勘误 show / fold the errata notes"),
    KeyHelp("StudyScreen", "minus", "搁置到明天 bury until tomorrow"),
    KeyHelp("StudyScreen", "exclamation_mark", "暂停这张卡 suspend this card"),
    KeyHelp("StudyScreen", "f", "标记 / 取消标记 flag / unflag"),
    KeyHelp("StudyScreen", "c", "自定义学习 custom study"),
    KeyHelp("StudyScreen", "r", "重试保存评分 retry saving a rating that failed"),
    KeyHelp("StudyScreen", "g", "数值题：画出这一层的几何（填充、卷积核位置、输出），感受野题画出"
            "有效感受野 numeric: the layer's geometry (padding, kernel positions, output); "
            "receptive field: the effective field in the theoretical one"),
    KeyHelp("StudyScreen", "E", "在 $VISUAL / $EDITOR 里编辑这张卡，回来后重新同步 edit the "
            "card in $VISUAL / $EDITOR, synced again on return"),
    KeyHelp("StudyScreen", "escape", "返回首页 back home"),
    KeyHelp("CustomStudyScreen", "1,2,3,4,5", "多学新卡 / 提前复习 / 今天忘记的 / 突击 / "
            "练我的错题 more new / review ahead / forgotten today / cram / drill my mistakes"),
    KeyHelp("CustomStudyScreen", "up,down", "选择 choose"),
    KeyHelp("CustomStudyScreen", "enter", "开始 start", bound=False),
    KeyHelp("CustomStudyScreen", "escape", "取消 cancel"),
    KeyHelp("BrowseScreen", "slash", "到搜索框 to the search field"),
    KeyHelp("BrowseScreen", "n", "加载更多结果 load more results"),
    KeyHelp("BrowseScreen", "enter", "打开题目 open the question", bound=False),
    KeyHelp("BrowseScreen", "home,end", "第一条 / 最后一条结果 first / last result", bound=False),
    KeyHelp("BrowseScreen", "escape", "清空搜索 / 返回 clear the search / back"),
    KeyHelp("QuestionScreen", "exclamation_mark", "暂停 / 恢复 suspend / unsuspend"),
    KeyHelp("QuestionScreen", "f", "标记 / 取消标记 flag / unflag"),
    KeyHelp("QuestionScreen", "escape", "返回 back"),
    KeyHelp("StatsScreen", "r", "刷新 refresh"),
    KeyHelp("StatsScreen", "m", "我的错因 my mistakes"),
    KeyHelp("StatsScreen", "escape", "返回 back"),
    KeyHelp("SettingsScreen", "ctrl+s", "保存 save"),
    KeyHelp("SettingsScreen", "escape", "返回（有未保存的更改时按两次）back (twice to discard)"),
    KeyHelp("LearnersScreen", "enter", "以选中的学习者学习；输入新名字回车则新建 study as the "
            "chosen learner; a new name and enter makes one", bound=False),
    KeyHelp("LearnersScreen", "escape", "取消 cancel"),
    KeyHelp("MistakesScreen", "escape", "返回 back"),
    KeyHelp("GeometryScreen", "escape,g", "关闭 close"),
    KeyHelp("HelpScreen", "escape,question_mark,f1", "关闭帮助 close the help"),
]


def expand(keys: str) -> list[str]:
    """Textual's own key names for a comma-separated key list (`?` → `question_mark`)."""
    return [binding.key for binding in Binding.make_bindings([Binding(keys, "noop")])]


def display(key: str) -> str:
    """A key as the learner reads it: `/`, `?`, `esc`, `ctrl+z`, `pgdn`."""
    *modifiers, name = key.split("+")
    shown = {"enter": "enter", "up": "↑", "down": "↓", "left": "←", "right": "→"}.get(
        name, format_key(name))
    return "+".join([*modifiers, shown])


def display_keys(keys: str) -> str:
    return " ".join(display(key) for key in expand(keys))


def screen_classes() -> list[type[Screen[object]]]:
    """Every Screen subclass defined in `quiz.tui.screens`."""
    import quiz.tui.screens as package

    found: list[type[Screen[object]]] = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for _name, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, Screen) and value.__module__ == module.__name__:
                found.append(value)
    return found


def own_bindings(bindings: list[BindingType]) -> list[Binding]:
    return list(Binding.make_bindings(bindings))


def screen_bindings(screen: type[Screen[object]]) -> list[Binding]:
    """The bindings a screen class and its quiz base classes declare (Textual's own defaults,
    such as tab between fields, are listed by hand in `KEYS`)."""
    declared: list[BindingType] = []
    for cls in reversed(screen.__mro__):
        if cls.__module__.startswith("quiz."):
            declared.extend(cls.__dict__.get("BINDINGS", []))
    return own_bindings(declared)


def bound_keys(app_class: type[App[object]]) -> dict[str, list[Binding]]:
    """The bindings of the app (under APP) and of each screen class (under its class name).
    The app class is passed in (the help screen passes its own app's), so this module never
    imports the app, which imports the screens, which import this module."""
    result = {APP: own_bindings(app_class.BINDINGS)}
    for screen in screen_classes():
        bindings = screen_bindings(screen)
        if bindings:
            result[screen.__name__] = bindings
    return result


def key_rows(app_class: type[App[object]]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The help's content: (group label, [(keys shown, action)]) in a stable order. Bindings that
    `KEYS` misses are added with their own description."""
    rows: dict[str, list[tuple[str, str]]] = {group: [] for group in GROUPS}
    listed: dict[str, set[str]] = {}
    for entry in KEYS:
        rows.setdefault(entry.screen, []).append((display_keys(entry.keys), entry.action))
        listed.setdefault(entry.screen, set()).update(expand(entry.keys))
    for screen, bindings in bound_keys(app_class).items():
        for binding in bindings:
            if binding.key not in listed.get(screen, set()):
                rows.setdefault(screen, []).append(
                    (display(binding.key), binding.description or binding.action))
                listed.setdefault(screen, set()).add(binding.key)
    return [(GROUPS.get(screen, screen), entries) for screen, entries in rows.items() if entries]


def markdown_table() -> str:
    """The README's table of keys, grouped as the help screen groups them."""
    lines = ["| key | where | action |", "|---|---|---|"]
    order = list(GROUPS)
    for entry in sorted(KEYS, key=lambda e: order.index(e.screen)):
        keys = " ".join(f"`{display(key)}`" for key in expand(entry.keys))
        lines.append(f"| {keys} | {GROUPS[entry.screen]} | {entry.action} |")
    return "\n".join(lines)

"""The recall-fact cards (network-facts.md) state the totals the engine is tested to reproduce:
their exact figures equal the engine tests' tables (tests/engine), and their core answers round
those figures correctly. A typo in a card, or a changed net, fails here."""

from __future__ import annotations

import re

import pytest

from quiz.bank.model import Question
from quiz.bank.parser import load_bank
from quiz.paths import bundled_bank_dir
from tests.engine.test_engine_nets import PUBLISHED
from tests.engine.test_engine_nets_torchvision import TORCHVISION

EXACT = re.compile(r"`quiz calc net data/nets/(\w+)\.net`）：([\d,]+) 个参数，([\d,]+) 次乘加")
FACT_NETS = {"fact-alexnet": "alexnet", "fact-vgg16": "vgg16", "fact-resnet18": "resnet18",
             "fact-resnet50": "resnet50", "fact-mobilenet-v1": "mobilenet_v1",
             "fact-mobilenet-v2": "mobilenet_v2", "fact-googlenet": "googlenet"}


def verified() -> dict[str, tuple[int, float, float]]:
    """net → (parameters, MACs, relative tolerance), as the engine tests assert them."""
    table = {name: (params, macs, tol) for name, params, macs, tol in PUBLISHED}
    table.update({name: (params, float(exact), 0.0) for name, params, _, exact in TORCHVISION})
    return table


@pytest.fixture(scope="module")
def facts() -> dict[str, Question]:
    return {q.id: q for q in load_bank(bundled_bank_dir()) if q.id in FACT_NETS}


def test_every_fact_card_exists(facts: dict[str, Question]) -> None:
    assert set(facts) == set(FACT_NETS)


@pytest.mark.parametrize("card", sorted(FACT_NETS))
def test_fact_card_states_the_engine_verified_totals(facts: dict[str, Question],
                                                     card: str) -> None:
    match = EXACT.search(facts[card].answer)
    assert match, card
    net, params, macs = match.group(1), int(match.group(2).replace(",", "")), \
        int(match.group(3).replace(",", ""))
    assert net == FACT_NETS[card]
    want_params, want_macs, tol = verified()[net]
    assert params == want_params
    assert macs == pytest.approx(want_macs, rel=tol, abs=0)
    core = facts[card].answer.split("\n\n", 1)[0]
    assert f"{params / 1e6:.2f}M" in core or f"{params / 1e6:.1f}M" in core, core
    assert f"{macs / 1e9:.2f}G" in core, core

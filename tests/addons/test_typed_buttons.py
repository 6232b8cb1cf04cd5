"""A button's title typed instead of tapped (addons/typed_buttons.py): real trackers and events."""

from __future__ import annotations

from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from addons.typed_buttons import offered_buttons, typed_button_payload

CONFIRM = [{"title": "确认取消", "payload": "/affirm"}, {"title": "再想想", "payload": "/deny"}]
RATING = [{"title": "5 分", "payload": '/inform{"rating": "5"}'}, {"title": "跳过", "payload": "/deny"}]


def tracker_after(*turns: list[dict[str, str]] | str) -> DialogueStateTracker:
    """A conversation of user messages (str) and bot messages (their buttons), in order."""
    events = []
    for turn in turns:
        if isinstance(turn, str):
            events += [ActionExecuted("action_listen"), UserUttered(turn, {"name": "cancel_order"})]
        else:
            events += [ActionExecuted("utter_x"), BotUttered("请确认", {"buttons": turn})]
    return DialogueStateTracker.from_events("shopper", events)


def test_the_title_of_a_button_just_offered_is_its_payload() -> None:
    tracker = tracker_after("取消订单", CONFIRM)
    assert typed_button_payload("再想想", tracker) == "/deny"
    assert typed_button_payload(" 确认取消！", tracker) == "/affirm"


def test_buttons_of_every_bot_message_since_the_shoppers_last_message_count() -> None:
    tracker = tracker_after("取消订单", [{"title": "好的", "payload": "/affirm"}], CONFIRM)
    assert [b["title"] for b in offered_buttons(tracker)] == ["好的", "确认取消", "再想想"]


def test_other_words_and_older_buttons_are_parsed_as_usual() -> None:
    tracker = tracker_after("取消订单", CONFIRM, "5 分", RATING)
    assert typed_button_payload("再想想", tracker) is None  # offered a turn earlier
    assert typed_button_payload("我不想跳过", tracker) is None  # not the title
    assert typed_button_payload("跳过", tracker) == "/deny"
    assert typed_button_payload("/affirm", tracker) is None  # already a payload
    assert typed_button_payload("", tracker) is None
    assert typed_button_payload("跳过", None) is None  # /model/parse: no conversation


def test_a_title_two_buttons_share_with_different_payloads_chooses_neither() -> None:
    tracker = tracker_after("退货", [{"title": "退款", "payload": "/deny"}, {"title": "退款", "payload": "/affirm"}])
    assert typed_button_payload("退款", tracker) is None


def test_fillers_around_a_title_do_not_change_the_choice() -> None:
    tracker = tracker_after("取消订单", CONFIRM)
    assert typed_button_payload("就再想想吧", tracker) == "/deny"
    assert typed_button_payload("那我再想想吧～", tracker) == "/deny"
    assert typed_button_payload("嗯 确认取消吧", tracker) == "/affirm"
    assert typed_button_payload("5分", tracker_after("好的", RATING)) == '/inform{"rating": "5"}'
    assert typed_button_payload("那就跳过了", tracker_after("好的", RATING)) == "/deny"


def test_a_negation_or_other_words_around_a_title_are_not_the_button() -> None:
    tracker = tracker_after("取消订单", CONFIRM)
    assert typed_button_payload("不确认取消", tracker) is None
    assert typed_button_payload("别再想想了", tracker) is None
    assert typed_button_payload("确认取消订单", tracker) is None
    assert typed_button_payload("吧", tracker) is None


def test_a_title_that_is_all_fillers_matches_only_itself() -> None:
    tracker = tracker_after("退货", [{"title": "好吧", "payload": "/affirm"}, {"title": "算了", "payload": "/deny"}])
    assert typed_button_payload("好吧", tracker) == "/affirm"
    assert typed_button_payload("那就算了吧", tracker) == "/deny"
    assert typed_button_payload("吧", tracker) is None

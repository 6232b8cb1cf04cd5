"""While a conversation waits for an agent, the shopper's messages get a waiting notice, not silence."""

from __future__ import annotations

from rasa.shared.core.events import ActionExecuted, BotUttered, ConversationPaused, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from addons.runtime.paused_reply import NOTICE_INTERVAL_SECONDS, WAITING, WAITING_AFTER_HOURS, waiting_notice

NOW = 1_000_000.0


def tracker(*events: Event) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("shopper", list(events))


def handed_off(handoff: str = "utter_handoff") -> list[Event]:
    return [UserUttered("转人工", timestamp=NOW - 600), BotUttered("已为您转接人工", metadata={"utter_action": handoff},
                                                                  timestamp=NOW - 600),
            ConversationPaused(timestamp=NOW - 600), ActionExecuted("action_listen", timestamp=NOW - 600)]


def test_a_message_while_waiting_for_an_agent_gets_the_notice_once_every_few_minutes() -> None:
    first = [*handed_off(), UserUttered("hello? anyone there?", timestamp=NOW - 60)]
    assert waiting_notice(tracker(*first), NOW - 60) == WAITING
    noticed = [*first, BotUttered("请稍候", metadata={"utter_action": WAITING}, timestamp=NOW - 60)]
    assert waiting_notice(tracker(*noticed), NOW - 60) is None  # this message has its answer
    again = [*noticed, UserUttered("???", timestamp=NOW)]
    assert waiting_notice(tracker(*again), NOW) is None  # a minute later: not again
    later = NOW - 60 + NOTICE_INTERVAL_SECONDS + 1
    assert waiting_notice(tracker(*noticed, UserUttered("还在吗", timestamp=later)), later) == WAITING


def test_no_notice_once_an_agent_writes_nor_outside_a_pause() -> None:
    agent = BotUttered("您好，我是客服小李", metadata={"agent": "小李"}, timestamp=NOW - 30)
    assert waiting_notice(tracker(*handed_off(), agent, UserUttered("好的", timestamp=NOW)), NOW) is None
    assert waiting_notice(tracker(UserUttered("你好", timestamp=NOW)), NOW) is None


def test_after_hours_the_notice_says_the_message_is_kept() -> None:
    events = [*handed_off("utter_handoff_after_hours"), UserUttered("有人吗", timestamp=NOW)]
    assert waiting_notice(tracker(*events), NOW) == WAITING_AFTER_HOURS

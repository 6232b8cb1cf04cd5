"""The desk's transcript from Rasa's tracker events: who said what, a tapped button shown by its title."""

from __future__ import annotations

from web.rasa_api import transcript_lines


def test_transcript_lines_name_the_speaker_and_show_tapped_buttons_by_title() -> None:
    events = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "我的快递到哪了"},
        {"event": "bot", "text": "请选择订单：", "data": {"buttons": [
            {"title": "8800000100000003 真丝连衣裙", "payload": '/inform{"order_id": "8800000100000003"}'}]}},
        {"event": "user", "text": '/inform{"order_id": "8800000100000003"}'},
        {"event": "user", "text": "https://shop.example/uploads/a.png",
         "metadata": {"image_url": "https://shop.example/uploads/a.png"}},
        {"event": "bot", "text": "您好，我是小美", "metadata": {"agent": "小美"}},
        {"event": "slot", "name": "order_id", "value": "8800000100000003"},
    ]
    lines = transcript_lines(events)
    assert [(line["who"], line["text"]) for line in lines] == [
        ("shopper", "我的快递到哪了"), ("bot", "请选择订单："), ("shopper", "8800000100000003 真丝连衣裙"),
        ("shopper", "https://shop.example/uploads/a.png"), ("agent", "您好，我是小美"),
    ]
    assert lines[1]["buttons"] == ["8800000100000003 真丝连衣裙"]
    assert lines[3]["image"] == "https://shop.example/uploads/a.png" and lines[4]["agent"] == "小美"


def test_a_proactive_notice_shows_as_the_assistants_words_not_as_the_shoppers() -> None:
    events = [
        {"event": "user", "text": "EXTERNAL: EXTERNAL_parcel_stuck",
         "parse_data": {"intent": {"name": "EXTERNAL_parcel_stuck"}}},
        {"event": "bot", "text": "店小二主动提醒您：订单 8800000100000006 的包裹已 80 小时没有物流更新了"},
        {"event": "user", "text": "好的"},
    ]
    assert [(line["who"], line["text"][:5]) for line in transcript_lines(events)] == [
        ("bot", "店小二主动"), ("shopper", "好的")]


def test_a_shopper_cannot_hide_words_from_the_agent_by_typing_like_a_trigger() -> None:
    events = [{"event": "user", "text": "EXTERNAL: 我其实要投诉", "parse_data": {"intent": {"name": "complain"}}}]
    assert [line["who"] for line in transcript_lines(events)] == ["shopper"]

"""The photo question takes an image attached to the message (metadata.image_url), or a typed link."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from actions.returns import photo_url


def tracker_with(text: str, metadata: dict[str, Any] | None = None) -> Tracker:
    message = {"text": text, "intent": {"name": "inform"}, "entities": [], "metadata": metadata or {}}
    return Tracker("shopper", {}, message, [], False, None, {}, "action_listen")


def test_an_attached_image_is_the_photo_whatever_the_text() -> None:
    url = "https://img.example.com/upload/box.jpg"
    assert photo_url("[图片]", tracker_with("[图片]", {"image_url": url})) == url


def test_a_typed_link_is_the_photo_without_an_attachment() -> None:
    assert photo_url("照片 https://img.example.com/a.png 你看", tracker_with("x")) == "https://img.example.com/a.png"


def test_no_image_and_no_link_is_no_photo() -> None:
    assert photo_url("拍好了", tracker_with("拍好了")) is None
    assert photo_url("拍好了", tracker_with("拍好了", {"image_url": "javascript:alert(1)"})) is None

"""Xiaoer's action server package: thin adapters between Rasa and the `shop` backend.

Each action reads slots, calls one `shop` service and answers with a response of the domain (domain/).
Run it with `rasa run actions` (the Makefile's `make actions`).
"""

from actions.language import install as _speak_the_shoppers_language

_speak_the_shoppers_language()

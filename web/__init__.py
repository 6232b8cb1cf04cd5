"""The shop's web front: the demo shop page with the chat widget, the widget script, photo uploads and
the agents' desk. A Sanic app made of blueprints (web.app.create_app); run it with ``python -m web``."""

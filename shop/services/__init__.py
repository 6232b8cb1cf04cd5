"""Service layer: every function takes a Session and the acting customer id.

Services flush but never commit (the caller's ``shop.db.session_scope`` does), check
every rule before writing, and return frozen dataclasses from :mod:`shop.services.views`.
"""

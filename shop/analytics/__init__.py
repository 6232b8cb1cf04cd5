"""What the shop sees: measures over kept conversations joined with the shop's own tables.

Conversations come from Rasa's SQL tracker store (the `events` table, read as data: nothing here
imports Rasa); tickets, ratings and after-sales from the shop database. Every measure is defined
once, in :mod:`shop.analytics.measures`, and documented in docs/analytics.md.
"""

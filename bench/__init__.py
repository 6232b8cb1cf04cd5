"""Benchmarks: NLU quality, latency, throughput, start-up and memory against a stock Rasa bot.

Run ``python -m bench --help`` (or ``make bench`` / ``make bench-smoke``).
"""

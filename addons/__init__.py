"""Rasa components of Xiaoer (loaded by module path from config.yml)."""

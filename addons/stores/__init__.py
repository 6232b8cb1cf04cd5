"""Rasa stores of Xiaoer, named in endpoints.yml (not part of a trained model)."""

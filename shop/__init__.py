"""Order & after-sales backend of Xiaoer (店小二).

Pure domain logic on SQLAlchemy 1.4 (2.0 style). This package never imports Rasa:
the chatbot's actions call the services in :mod:`shop.services` and turn the stable
codes/data they return into replies defined in the domain (``domain/``).
"""

__all__ = ["__version__"]

__version__ = "0.1.0"

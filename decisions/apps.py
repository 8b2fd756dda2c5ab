from django.apps import AppConfig


class DecisionsConfig(AppConfig):
    """May we send this? Reads customers, preferences, subscriptions and optout: the top layer."""

    name = "decisions"
    verbose_name = "Decisions"

from django.apps import AppConfig


class OptoutConfig(AppConfig):
    name = "optout"
    verbose_name = "Communication opt-out by department"

from django.apps import AppConfig


class OptoutConfig(AppConfig):
    name = "optout"
    verbose_name = "Communication opt-out by department"

    def ready(self):
        from customers.services import register_eraser

        from .services import erase_communication_statuses

        register_eraser(erase_communication_statuses)

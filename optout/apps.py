from django.apps import AppConfig


class OptoutConfig(AppConfig):
    name = "optout"
    verbose_name = "Communication opt-out by department"

    def ready(self):
        from customers.services import register_eraser

        from .services import erase_communication_statuses

        register_eraser(erase_communication_statuses)

        from customers.exporting import register_exporter

        from .models import CommunicationStatus
        from .selectors import export_opt_out_statuses

        register_exporter("optOutStatuses", export_opt_out_statuses, models=[CommunicationStatus])

from django.apps import AppConfig


class EmaillogsConfig(AppConfig):
    name = "emaillogs"
    verbose_name = "Email logs"

    def ready(self):
        from customers.services import register_eraser

        from .services import email_logs_erase_of

        register_eraser(email_logs_erase_of)

        from customers.exporting import register_exporter

        from .models import EmailLog
        from .selectors import export_email_logs

        register_exporter("emailLogs", export_email_logs, models=[EmailLog])

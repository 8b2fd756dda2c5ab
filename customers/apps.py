from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = "Customers and consent ledger"

    def ready(self):
        from . import schema  # noqa: F401  (registers the auth schemes with drf-spectacular)

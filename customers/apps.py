from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = "Customers and consent ledger"

    def ready(self):
        from . import lookups, schema  # noqa: F401  (registers a lookup; auth schemes in the schema)

from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = "Customers and consent ledger"

    def ready(self):
        # Registers the __in_array lookup, the auth schemes in the schema, and this app's export.
        from . import exporting, lookups, schema  # noqa: F401

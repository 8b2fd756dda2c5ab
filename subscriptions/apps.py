from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"
    verbose_name = "Subscriptions and suppression"

    def ready(self):
        from customers.contact_status import register_status_provider
        from customers.services import register_eraser

        from . import selectors, services

        # Every v2 `contact.status` in any app comes from the suppression list.
        register_status_provider(selectors.suppression_statuses)
        # Erasure keeps the suppression as a keyed hash of the address (DESIGN §7).
        register_eraser(services.erase_suppressions)

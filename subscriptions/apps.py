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

        from customers.exporting import register_exporter

        from .models import ChannelSubscription, ResubscribeChallenge, Suppression

        # Everything this app holds on a customer, for the export (DESIGN §7).
        register_exporter("suppression", selectors.export_suppression, models=[Suppression])
        register_exporter(
            "channelSubscriptions",
            selectors.export_channel_subscriptions,
            models=[ChannelSubscription],
        )
        register_exporter(
            "resubscribeChallenges",
            selectors.export_resubscribe_challenges,
            models=[ResubscribeChallenge],
        )

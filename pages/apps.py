from django.apps import AppConfig


class PagesConfig(AppConfig):
    """Hosted pages for the person a mail went to: preference centre and unsubscribe.

    Sits above preferences and subscriptions, whose services it calls; nothing imports it.
    """

    default_auto_field = "django.db.models.BigAutoField"
    name = "pages"
    verbose_name = "Hosted pages"

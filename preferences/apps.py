from django.apps import AppConfig


class PreferencesConfig(AppConfig):
    name = "preferences"
    verbose_name = "Marketing preferences"

    def ready(self):
        from customers.exporting import register_exporter

        from .models import PreferenceOptIn
        from .selectors import export_preference_states

        register_exporter("preferenceStates", export_preference_states, models=[PreferenceOptIn])

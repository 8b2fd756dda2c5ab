from django.apps import AppConfig


class EmaillogsConfig(AppConfig):
    name = "emaillogs"
    verbose_name = "Email logs"

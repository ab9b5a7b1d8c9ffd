from django.apps import AppConfig


class PayersConfig(AppConfig):
    name = "payers"
    verbose_name = "Payers, rules and authorizations"

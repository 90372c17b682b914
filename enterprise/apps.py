from django.apps import AppConfig


class EnterpriseConfig(AppConfig):
    name = "enterprise"
    verbose_name = "Empresas"

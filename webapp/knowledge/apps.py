from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "webapp.knowledge"
    label = "knowledge"

from django.apps import AppConfig


class EvalSetsConfig(AppConfig):
    name = "webapp.evalsets"
    label = "evalsets"

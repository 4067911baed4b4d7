from typing import Any

from django.apps import AppConfig


class EvalSetsConfig(AppConfig):
    name = "webapp.evalsets"
    label = "evalsets"

    def ready(self) -> None:
        """Hook the re-index check into the index build (it never imports this app)."""
        from webapp.knowledge import rebuild

        if _switch_allowed not in rebuild.SWITCH_CHECKS:
            rebuild.SWITCH_CHECKS.append(_switch_allowed)


def _switch_allowed(*, index: Any) -> bool:
    from webapp.evalsets.gating import index_switch_allowed

    return index_switch_allowed(index=index)

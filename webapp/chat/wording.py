"""What an employee reads beside or instead of an answer: notices and error messages.

Short, generic and localized (``webapp/locale``): an error event never carries an
internal URL, an exception's text or a model server's reply; those go to the log.
The language is the user's interface language when known, else the question's.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import get_supported_language_variant, override
from django.utils.translation import gettext_lazy as _

from inference import detect_language
from webapp.chat.events import ErrorEvent, Notice

__all__ = ["error_event", "language_for", "notice_for"]

NOTICES: dict[str, Promise] = {
    "extractive": _(
        "Extractive answer: quoted from the best-matching passages, because no language "
        "model is configured."
    ),
    "model_unavailable": _(
        "The language model is unavailable right now: this answer quotes the best-matching "
        "passages instead."
    ),
}
ERRORS: dict[str, Promise] = {
    "invalid": _("Please type a question."),
    "not_found": _("Conversation not found."),
    "unknown_model": _("That model is not available. Choose another one or Automatic."),
    "context_overflow": _("The question is too long for the language model. Please shorten it."),
    "upstream_error": _(
        "The language model stopped in the middle of the answer; the answer above is incomplete."
    ),
    "model_unavailable": _("The language model is unavailable. Please try again in a moment."),
    "search_unavailable": _("Search is unavailable right now. Please try again in a moment."),
}
_FALLBACK = _("The answer could not be completed. Please try again.")


def language_for(question: str, language: str | None = None) -> str:
    """The language of fixed texts: the interface's when given, else the question's.

    A settings language ("en", "pt-br", "pt-pt"): a bare "pt" (a detected question,
    an old preference) gets the first Portuguese one, Brazilian.
    """
    try:
        return get_supported_language_variant((language or detect_language(question)).lower())
    except LookupError:
        return "en"


def _text(message: Promise, language: str) -> str:
    with override(language):
        return str(message)


def error_event(code: str, language: str) -> ErrorEvent:
    """An error event: the code, and a generic message for it in ``language``."""
    return ErrorEvent(code=code, message=_text(ERRORS.get(code, _FALLBACK), language))


def notice_for(code: str, language: str) -> Notice | None:
    """The notice ``code`` ("" for none) with its message in ``language``."""
    if not code:
        return None
    return Notice(code=code, message=_text(NOTICES[code], language))

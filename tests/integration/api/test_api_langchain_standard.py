"""LangChain's standard chat-model suite (``langchain-tests``) for ``ChatOpenAI`` on ``/v1``.

Enclave's ``/v1`` is a grounded question-answering endpoint, not a general model:
the features it does not offer (tools, structured output, JSON mode, image,
PDF and audio input) are declared off through the suite's properties and the
suite skips them; everything else runs against the live ``enclave serve`` of
this folder.
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_openai import ChatOpenAI
from langchain_tests.integration_tests import ChatModelIntegrationTests

from tests.integration.api.conftest import ApiSite

pytestmark = pytest.mark.timeout(900)


class TestChatOpenAIOnEnclave(ChatModelIntegrationTests):
    @pytest.fixture(autouse=True)
    def _site(self, api_site: ApiSite) -> None:
        self.site = api_site

    @property
    def chat_model_class(self) -> type[BaseChatModel]:
        return ChatOpenAI

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {
            "base_url": f"{self.site.url}/v1",
            "api_key": self.site.tokens["alice"],
            "model": "enclave:HR",
            "stream_usage": True,
        }

    @property
    def model_override_value(self) -> str:
        return "enclave"

    @property
    def has_tool_calling(self) -> bool:
        return False

    @property
    def has_tool_choice(self) -> bool:
        return False

    @property
    def has_structured_output(self) -> bool:
        return False

    @property
    def supports_json_mode(self) -> bool:
        return False

    @property
    def supports_image_inputs(self) -> bool:
        return False

    @property
    def supports_image_urls(self) -> bool:
        return False

    @property
    def supports_pdf_inputs(self) -> bool:
        return False

    @property
    def supports_audio_inputs(self) -> bool:
        return False

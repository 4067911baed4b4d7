"""Errors raised by the retrieval library.

Exception tree::

    RetrievalError                  code="retrieval_error"
    ├── ParseError                  code="parse_error"          damaged / unreadable file
    ├── EncryptedDocumentError      code="encrypted_document"   password protected
    ├── UnsupportedFormatError      code="unsupported_format"   file type we cannot read
    ├── EmptyDocumentError          code="empty_document"       no extractable text
    ├── DocumentTooLargeError       code="document_too_large"   over ParsingConfig.max_file_bytes
    ├── IndexUnavailableError       code="index_unavailable"    vector store down (transient)
    ├── IndexConfigurationError     code="index_configuration"  store exists with other settings
    └── EmbeddingModelError         code="embedding_model"      model missing or failing

Every error carries a stable ``code`` and a human readable ``message`` that is
safe to show to an administrator (it never contains document text).
"""

from __future__ import annotations

__all__ = [
    "DocumentTooLargeError",
    "EmbeddingModelError",
    "EmptyDocumentError",
    "EncryptedDocumentError",
    "IndexConfigurationError",
    "IndexUnavailableError",
    "ParseError",
    "RetrievalError",
    "UnsupportedFormatError",
]


class RetrievalError(Exception):
    """Root of every error the retrieval library raises on purpose."""

    code: str = "retrieval_error"
    transient: bool = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ParseError(RetrievalError):
    """The file is damaged or unreadable."""

    code = "parse_error"


class EncryptedDocumentError(RetrievalError):
    """The file is password protected."""

    code = "encrypted_document"


class UnsupportedFormatError(RetrievalError):
    """The file type is not one we can read."""

    code = "unsupported_format"


class EmptyDocumentError(RetrievalError):
    """The file contains no extractable text."""

    code = "empty_document"


class DocumentTooLargeError(RetrievalError):
    """The file exceeds the configured size limit."""

    code = "document_too_large"


class IndexUnavailableError(RetrievalError):
    """The vector store cannot be reached or is locked; retrying may succeed."""

    code = "index_unavailable"
    transient = True


class IndexConfigurationError(RetrievalError):
    """The vector store exists with settings that do not match ours (e.g. dimension)."""

    code = "index_configuration"


class EmbeddingModelError(RetrievalError):
    """The embedding model could not be loaded or failed to encode."""

    code = "embedding_model"

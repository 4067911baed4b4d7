"""A stand-in for a vLLM OpenAI-compatible server, for tests on machines without a GPU."""

"""Generation backends behind the :class:`inference.base.ChatModel` interface."""

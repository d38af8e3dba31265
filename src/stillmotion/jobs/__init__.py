"""The task lifecycle: the store (the only writer of task state), workers, API keys."""

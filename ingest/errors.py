class IngestError(Exception):
    """A file cannot be ingested; ``reason`` is one line a user can act on."""

    def __init__(self, path, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")

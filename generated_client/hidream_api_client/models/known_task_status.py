from enum import IntEnum


class KnownTaskStatus(IntEnum):
    QUEUED = 0
    SUCCEEDED = 1
    IN_PROGRESS = 2
    FAILED = 3
    REFUSED = 4

    def __str__(self) -> str:
        return str(self.value)

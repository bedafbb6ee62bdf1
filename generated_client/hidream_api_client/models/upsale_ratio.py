from enum import IntEnum


class UpsaleRatio(IntEnum):
    X2 = 2
    X4 = 4

    def __str__(self) -> str:
        return str(self.value)

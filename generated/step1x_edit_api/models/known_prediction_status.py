from enum import StrEnum


class KnownPredictionStatus(StrEnum):
    COMPLETED = "completed"
    CREATED = "created"
    FAILED = "failed"
    PROCESSING = "processing"

    def __str__(self) -> str:
        return str(self.value)

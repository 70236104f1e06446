"""Contains all the data models used in inputs/outputs"""

from .bare_error import BareError
from .edit_request import EditRequest
from .envelope import Envelope
from .error_envelope import ErrorEnvelope
from .known_prediction_status import KnownPredictionStatus
from .prediction import Prediction
from .prediction_envelope import PredictionEnvelope
from .prediction_input import PredictionInput
from .prediction_timings import PredictionTimings
from .prediction_urls import PredictionUrls
from .upload import Upload
from .upload_envelope import UploadEnvelope
from .upload_instruction import UploadInstruction
from .upload_instruction_headers import UploadInstructionHeaders
from .upload_request import UploadRequest
from .upload_ticket import UploadTicket
from .upload_ticket_envelope import UploadTicketEnvelope
from .upload_ticket_request import UploadTicketRequest

__all__ = (
    "BareError",
    "EditRequest",
    "Envelope",
    "ErrorEnvelope",
    "KnownPredictionStatus",
    "Prediction",
    "PredictionEnvelope",
    "PredictionInput",
    "PredictionTimings",
    "PredictionUrls",
    "Upload",
    "UploadEnvelope",
    "UploadInstruction",
    "UploadInstructionHeaders",
    "UploadRequest",
    "UploadTicket",
    "UploadTicketEnvelope",
    "UploadTicketRequest",
)

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.upload_ticket import UploadTicket


T = TypeVar("T", bound="UploadTicketEnvelope")


@_attrs_define
class UploadTicketEnvelope:
    """A successful ticket response."""

    code: int
    """ Mirrors the HTTP status: 200 on success. A response whose `code` is not 200 is an
    error even when the HTTP status is 200.
     """
    data: UploadTicket
    """ Where the file will be, and how to send its bytes. """
    message: str | Unset = UNSET
    """ "success", or a human-readable error. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        data = self.data.to_dict()

        message = self.message

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "code": code,
                "data": data,
            }
        )
        if message is not UNSET:
            field_dict["message"] = message

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.upload_ticket import UploadTicket  # noqa: PLC0415

        d = dict(src_dict)
        code = d.pop("code")

        data = UploadTicket.from_dict(d.pop("data"))

        message = d.pop("message", UNSET)

        upload_ticket_envelope = cls(
            code=code,
            data=data,
            message=message,
        )

        upload_ticket_envelope.additional_properties = d
        return upload_ticket_envelope

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties

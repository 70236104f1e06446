from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.upload_instruction_headers import UploadInstructionHeaders


T = TypeVar("T", bound="UploadInstruction")


@_attrs_define
class UploadInstruction:
    """How to send the bytes. Send no Authorization header."""

    method: str
    """ The HTTP method, "PUT" in every fixture. """
    url: str
    """ The presigned target URL. """
    headers: UploadInstructionHeaders | Unset = UNSET
    """ Headers to send with the bytes, exactly as given. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        method = self.method

        url = self.url

        headers: dict[str, Any] | Unset = UNSET
        if not isinstance(self.headers, Unset):
            headers = self.headers.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "method": method,
                "url": url,
            }
        )
        if headers is not UNSET:
            field_dict["headers"] = headers

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.upload_instruction_headers import UploadInstructionHeaders  # noqa: PLC0415

        d = dict(src_dict)
        method = d.pop("method")

        url = d.pop("url")

        _headers = d.pop("headers", UNSET)
        headers: UploadInstructionHeaders | Unset
        if isinstance(_headers, Unset):
            headers = UNSET
        else:
            headers = UploadInstructionHeaders.from_dict(_headers)

        upload_instruction = cls(
            method=method,
            url=url,
            headers=headers,
        )

        upload_instruction.additional_properties = d
        return upload_instruction

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

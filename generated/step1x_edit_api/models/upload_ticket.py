from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.upload_instruction import UploadInstruction


T = TypeVar("T", bound="UploadTicket")


@_attrs_define
class UploadTicket:
    """Where the file will be, and how to send its bytes."""

    download_url: str
    """ Where the file can be read once the PUT succeeded; pass it as `image`. """
    upload: UploadInstruction
    """ How to send the bytes. Send no Authorization header. """
    type_: str | Unset = UNSET
    """ "image", "video" or "audio". """
    filename: str | Unset = UNSET
    """ The stored file name. """
    size: int | Unset = UNSET
    """ Size in bytes. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        download_url = self.download_url

        upload = self.upload.to_dict()

        type_ = self.type_

        filename = self.filename

        size = self.size

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "download_url": download_url,
                "upload": upload,
            }
        )
        if type_ is not UNSET:
            field_dict["type"] = type_
        if filename is not UNSET:
            field_dict["filename"] = filename
        if size is not UNSET:
            field_dict["size"] = size

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.upload_instruction import UploadInstruction  # noqa: PLC0415

        d = dict(src_dict)
        download_url = d.pop("download_url")

        upload = UploadInstruction.from_dict(d.pop("upload"))

        type_ = d.pop("type", UNSET)

        filename = d.pop("filename", UNSET)

        size = d.pop("size", UNSET)

        upload_ticket = cls(
            download_url=download_url,
            upload=upload,
            type_=type_,
            filename=filename,
            size=size,
        )

        upload_ticket.additional_properties = d
        return upload_ticket

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

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ErrorEnvelope")


@_attrs_define
class ErrorEnvelope:
    """The envelope on an error: a `code` that is not 200 and a `message`. `data` may be null
    or absent; `error_code` may name the failure more precisely.

    """

    code: int | Unset = UNSET
    """ The error's status code, usually the HTTP status; never 200. """
    message: str | Unset = UNSET
    """ What went wrong, for a human. """
    error_code: str | Unset = UNSET
    """ A machine-readable error name, when the server gives one. """
    data: None | Unset = UNSET
    """ Null or absent on errors. (Declared null so that a success body with a malformed
    `data` object cannot pass as an error envelope.)
     """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        message = self.message

        error_code = self.error_code

        data = self.data

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if code is not UNSET:
            field_dict["code"] = code
        if message is not UNSET:
            field_dict["message"] = message
        if error_code is not UNSET:
            field_dict["error_code"] = error_code
        if data is not UNSET:
            field_dict["data"] = data

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        code = d.pop("code", UNSET)

        message = d.pop("message", UNSET)

        error_code = d.pop("error_code", UNSET)

        data = d.pop("data", UNSET)

        error_envelope = cls(
            code=code,
            message=message,
            error_code=error_code,
            data=data,
        )

        error_envelope.additional_properties = d
        return error_envelope

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

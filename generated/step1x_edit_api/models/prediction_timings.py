from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="PredictionTimings")


@_attrs_define
class PredictionTimings:
    """Timing breakdown in milliseconds."""

    inference: Any | Unset = UNSET
    """ Model inference time in milliseconds; 0 until it has run. Any non-negative number:
    the docs say integer, but fractional values are plausible. (Written as "not a
    non-number" rather than `type: number` so the generator leaves the field untyped
    instead of turning it into a float.)
     """
    additional_properties: dict[str, float] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        inference = self.inference

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if inference is not UNSET:
            field_dict["inference"] = inference

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        inference = d.pop("inference", UNSET)

        prediction_timings = cls(
            inference=inference,
        )

        prediction_timings.additional_properties = d
        return prediction_timings

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> float:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: float) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.known_prediction_status import KnownPredictionStatus
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.prediction_input import PredictionInput
    from ..models.prediction_timings import PredictionTimings
    from ..models.prediction_urls import PredictionUrls


T = TypeVar("T", bound="Prediction")


@_attrs_define
class Prediction:
    """One edit job. Clients must tolerate missing optional fields (the vendor's own examples
    omit several) and keep unknown ones.

    """

    id: str
    """ The prediction id (32 lowercase hex characters in real responses). """
    status: KnownPredictionStatus | str
    """ Where the prediction is in its life: created, then processing, then completed or
    failed. Servers also send statuses the docs do not list (`x-observed`); any other
    non-empty string must be accepted and kept as is, never rejected.
     """
    model: str | Unset = UNSET
    """ The model that ran, e.g. "wavespeed-ai/step1x-edit". """
    outputs: list[str] | Unset = UNSET
    """ Output image URLs once completed (empty before). With `enable_base64_output` each
    entry is base64 image data instead of a URL.
     """
    urls: PredictionUrls | Unset = UNSET
    """ Links for the prediction. """
    has_nsfw_contents: list[bool] | Unset = UNSET
    """ One flag per output, true when that output was judged NSFW; empty before completion. """
    created_at: datetime.datetime | Unset = UNSET
    """ When the prediction was created, RFC 3339 in UTC with 2, 3 or 9 fractional digits. """
    error: None | str | Unset = UNSET
    """ Why the prediction failed; empty (or null) when it did not. """
    code: int | Unset = UNSET
    """ Task-level result code, distinct from the envelope's: 0 success, 1xxx the input's
    fault (1400 missing parameter, 1401 invalid parameter, 1402 image download failed),
    5xxx the server's (5004 = sync mode timed out, the prediction carries on).
     """
    timings: PredictionTimings | Unset = UNSET
    """ Timing breakdown in milliseconds. """
    execution_time: int | Unset = UNSET
    """ Run time in milliseconds. Absent from the field tables, present in real responses. """
    input_: PredictionInput | Unset = UNSET
    """ Echo of the submitted input; documented for webhooks only. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        status: str
        if isinstance(self.status, KnownPredictionStatus):
            status = self.status.value
        else:
            status = self.status

        model = self.model

        outputs: list[str] | Unset = UNSET
        if not isinstance(self.outputs, Unset):
            outputs = self.outputs

        urls: dict[str, Any] | Unset = UNSET
        if not isinstance(self.urls, Unset):
            urls = self.urls.to_dict()

        has_nsfw_contents: list[bool] | Unset = UNSET
        if not isinstance(self.has_nsfw_contents, Unset):
            has_nsfw_contents = self.has_nsfw_contents

        created_at: str | Unset = UNSET
        if not isinstance(self.created_at, Unset):
            created_at = self.created_at.isoformat()

        error: None | str | Unset
        if isinstance(self.error, Unset):
            error = UNSET
        else:
            error = self.error

        code = self.code

        timings: dict[str, Any] | Unset = UNSET
        if not isinstance(self.timings, Unset):
            timings = self.timings.to_dict()

        execution_time = self.execution_time

        input_: dict[str, Any] | Unset = UNSET
        if not isinstance(self.input_, Unset):
            input_ = self.input_.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "status": status,
            }
        )
        if model is not UNSET:
            field_dict["model"] = model
        if outputs is not UNSET:
            field_dict["outputs"] = outputs
        if urls is not UNSET:
            field_dict["urls"] = urls
        if has_nsfw_contents is not UNSET:
            field_dict["has_nsfw_contents"] = has_nsfw_contents
        if created_at is not UNSET:
            field_dict["created_at"] = created_at
        if error is not UNSET:
            field_dict["error"] = error
        if code is not UNSET:
            field_dict["code"] = code
        if timings is not UNSET:
            field_dict["timings"] = timings
        if execution_time is not UNSET:
            field_dict["executionTime"] = execution_time
        if input_ is not UNSET:
            field_dict["input"] = input_

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.prediction_input import PredictionInput  # noqa: PLC0415
        from ..models.prediction_timings import PredictionTimings  # noqa: PLC0415
        from ..models.prediction_urls import PredictionUrls  # noqa: PLC0415

        d = dict(src_dict)
        id = d.pop("id")

        def _parse_status(data: object) -> KnownPredictionStatus | str:
            try:
                if not isinstance(data, str):
                    raise TypeError()
                componentsschemas_prediction_status_type_0 = KnownPredictionStatus(data)

                return componentsschemas_prediction_status_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(KnownPredictionStatus | str, data)

        status = _parse_status(d.pop("status"))

        model = d.pop("model", UNSET)

        outputs = cast(list[str], d.pop("outputs", UNSET))

        _urls = d.pop("urls", UNSET)
        urls: PredictionUrls | Unset
        if isinstance(_urls, Unset):
            urls = UNSET
        else:
            urls = PredictionUrls.from_dict(_urls)

        has_nsfw_contents = cast(list[bool], d.pop("has_nsfw_contents", UNSET))

        _created_at = d.pop("created_at", UNSET)
        created_at: datetime.datetime | Unset
        if isinstance(_created_at, Unset):
            created_at = UNSET
        else:
            created_at = datetime.datetime.fromisoformat(_created_at)

        def _parse_error(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        error = _parse_error(d.pop("error", UNSET))

        code = d.pop("code", UNSET)

        _timings = d.pop("timings", UNSET)
        timings: PredictionTimings | Unset
        if isinstance(_timings, Unset):
            timings = UNSET
        else:
            timings = PredictionTimings.from_dict(_timings)

        execution_time = d.pop("executionTime", UNSET)

        _input_ = d.pop("input", UNSET)
        input_: PredictionInput | Unset
        if isinstance(_input_, Unset):
            input_ = UNSET
        else:
            input_ = PredictionInput.from_dict(_input_)

        prediction = cls(
            id=id,
            status=status,
            model=model,
            outputs=outputs,
            urls=urls,
            has_nsfw_contents=has_nsfw_contents,
            created_at=created_at,
            error=error,
            code=code,
            timings=timings,
            execution_time=execution_time,
            input_=input_,
        )

        prediction.additional_properties = d
        return prediction

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

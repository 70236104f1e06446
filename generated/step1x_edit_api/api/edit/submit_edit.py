from http import HTTPStatus
from typing import Any

import httpx

from ...client import AuthenticatedClient, Client
from ...models.bare_error import BareError
from ...models.edit_request import EditRequest
from ...models.error_envelope import ErrorEnvelope
from ...models.prediction_envelope import PredictionEnvelope
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: EditRequest,
    webhook: str | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    params["webhook"] = webhook

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v3/wavespeed-ai/step1x-edit",
    }
    if params:
        _kwargs["params"] = params

    _kwargs["json"] = body.to_dict()

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> BareError | ErrorEnvelope | ErrorEnvelope | ErrorEnvelope | PredictionEnvelope:
    if response.status_code == 200:

        def _parse_response_200(data: object) -> ErrorEnvelope | PredictionEnvelope:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                response_200_type_0 = PredictionEnvelope.from_dict(data)

                return response_200_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            response_200_type_1 = ErrorEnvelope.from_dict(data)

            return response_200_type_1

        response_200 = _parse_response_200(response.json())

        return response_200

    if response.status_code == 400:

        def _parse_response_400(data: object) -> BareError | ErrorEnvelope:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                response_400_type_0 = BareError.from_dict(data)

                return response_400_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            response_400_type_1 = ErrorEnvelope.from_dict(data)

            return response_400_type_1

        response_400 = _parse_response_400(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ErrorEnvelope.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ErrorEnvelope.from_dict(response.json())

        return response_403

    if response.status_code == 429:
        response_429 = ErrorEnvelope.from_dict(response.json())

        return response_429

    if response.status_code == 500:
        response_500 = ErrorEnvelope.from_dict(response.json())

        return response_500

    if response.status_code == 502:
        response_502 = ErrorEnvelope.from_dict(response.json())

        return response_502

    if response.status_code == 503:
        response_503 = ErrorEnvelope.from_dict(response.json())

        return response_503

    if response.status_code == 504:
        response_504 = ErrorEnvelope.from_dict(response.json())

        return response_504

    def _parse_response_default(data: object) -> BareError | ErrorEnvelope:
        try:
            if not isinstance(data, dict):
                raise TypeError()
            response_default_type_0 = ErrorEnvelope.from_dict(data)

            return response_default_type_0
        except (TypeError, ValueError, AttributeError, KeyError):
            pass
        if not isinstance(data, dict):
            raise TypeError()
        response_default_type_1 = BareError.from_dict(data)

        return response_default_type_1

    response_default = _parse_response_default(response.json())

    return response_default


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[BareError | ErrorEnvelope | ErrorEnvelope | ErrorEnvelope | PredictionEnvelope]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_raw(
    *,
    client: AuthenticatedClient | Client,
    body: EditRequest,
    webhook: str | Unset = UNSET,
) -> httpx.Response:
    """Submit an edit: send the request; return the httpx response unparsed.

    For a caller that checks the status and body itself (and parses the body once).
    """
    return client.get_httpx_client().request(
        **_get_kwargs(
            body=body,
            webhook=webhook,
        )
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: EditRequest,
    webhook: str | Unset = UNSET,
) -> Response[BareError | ErrorEnvelope | ErrorEnvelope | ErrorEnvelope | PredictionEnvelope]:
    """Submit an edit

     Creates a Step1X-Edit prediction and bills it ($0.03 per image at the time of writing).
    The server offers no idempotency key: a request that reached the server may have
    created a task even when the response was lost, so clients must not resend it blindly.

    Normally the response carries the new prediction with status `created`; poll
    `GET /api/v3/predictions/{id}/result` until it reaches a terminal status. With
    `enable_sync_mode` the server holds the request open until the prediction finishes;
    the sync-mode page names a 504 when it takes too long, and the vendor's SDKs expect
    HTTP 200 with status `processing` and task code 5004 once the server's own sync limit
    passes (the prediction then carries on asynchronously).

    Args:
        webhook (str | Unset):
        body (EditRequest): The Step1X-Edit input. Names not listed here are outside the contract:
            the API drops
            them silently and still bills the prediction (the vendor's own CLI says so), so this
            client refuses them before sending anything. The sandbox drops them like the API
            (`--strict-inputs` makes it answer 400 instead).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BareError | ErrorEnvelope | ErrorEnvelope | ErrorEnvelope | PredictionEnvelope]
    """

    response = sync_raw(
        client=client,
        body=body,
        webhook=webhook,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: EditRequest,
    webhook: str | Unset = UNSET,
) -> BareError | ErrorEnvelope | ErrorEnvelope | ErrorEnvelope | PredictionEnvelope | None:
    """Submit an edit

     Creates a Step1X-Edit prediction and bills it ($0.03 per image at the time of writing).
    The server offers no idempotency key: a request that reached the server may have
    created a task even when the response was lost, so clients must not resend it blindly.

    Normally the response carries the new prediction with status `created`; poll
    `GET /api/v3/predictions/{id}/result` until it reaches a terminal status. With
    `enable_sync_mode` the server holds the request open until the prediction finishes;
    the sync-mode page names a 504 when it takes too long, and the vendor's SDKs expect
    HTTP 200 with status `processing` and task code 5004 once the server's own sync limit
    passes (the prediction then carries on asynchronously).

    Args:
        webhook (str | Unset):
        body (EditRequest): The Step1X-Edit input. Names not listed here are outside the contract:
            the API drops
            them silently and still bills the prediction (the vendor's own CLI says so), so this
            client refuses them before sending anything. The sandbox drops them like the API
            (`--strict-inputs` makes it answer 400 instead).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BareError | ErrorEnvelope | ErrorEnvelope | ErrorEnvelope | PredictionEnvelope
    """

    return sync_detailed(
        client=client,
        body=body,
        webhook=webhook,
    ).parsed


async def asyncio_raw(
    *,
    client: AuthenticatedClient | Client,
    body: EditRequest,
    webhook: str | Unset = UNSET,
) -> httpx.Response:
    """Submit an edit: send the request; return the httpx response unparsed.

    For a caller that checks the status and body itself (and parses the body once).
    """
    return await client.get_async_httpx_client().request(
        **_get_kwargs(
            body=body,
            webhook=webhook,
        )
    )


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: EditRequest,
    webhook: str | Unset = UNSET,
) -> Response[BareError | ErrorEnvelope | ErrorEnvelope | ErrorEnvelope | PredictionEnvelope]:
    """Submit an edit

     Creates a Step1X-Edit prediction and bills it ($0.03 per image at the time of writing).
    The server offers no idempotency key: a request that reached the server may have
    created a task even when the response was lost, so clients must not resend it blindly.

    Normally the response carries the new prediction with status `created`; poll
    `GET /api/v3/predictions/{id}/result` until it reaches a terminal status. With
    `enable_sync_mode` the server holds the request open until the prediction finishes;
    the sync-mode page names a 504 when it takes too long, and the vendor's SDKs expect
    HTTP 200 with status `processing` and task code 5004 once the server's own sync limit
    passes (the prediction then carries on asynchronously).

    Args:
        webhook (str | Unset):
        body (EditRequest): The Step1X-Edit input. Names not listed here are outside the contract:
            the API drops
            them silently and still bills the prediction (the vendor's own CLI says so), so this
            client refuses them before sending anything. The sandbox drops them like the API
            (`--strict-inputs` makes it answer 400 instead).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BareError | ErrorEnvelope | ErrorEnvelope | ErrorEnvelope | PredictionEnvelope]
    """

    response = await asyncio_raw(
        client=client,
        body=body,
        webhook=webhook,
    )

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: EditRequest,
    webhook: str | Unset = UNSET,
) -> BareError | ErrorEnvelope | ErrorEnvelope | ErrorEnvelope | PredictionEnvelope | None:
    """Submit an edit

     Creates a Step1X-Edit prediction and bills it ($0.03 per image at the time of writing).
    The server offers no idempotency key: a request that reached the server may have
    created a task even when the response was lost, so clients must not resend it blindly.

    Normally the response carries the new prediction with status `created`; poll
    `GET /api/v3/predictions/{id}/result` until it reaches a terminal status. With
    `enable_sync_mode` the server holds the request open until the prediction finishes;
    the sync-mode page names a 504 when it takes too long, and the vendor's SDKs expect
    HTTP 200 with status `processing` and task code 5004 once the server's own sync limit
    passes (the prediction then carries on asynchronously).

    Args:
        webhook (str | Unset):
        body (EditRequest): The Step1X-Edit input. Names not listed here are outside the contract:
            the API drops
            them silently and still bills the prediction (the vendor's own CLI says so), so this
            client refuses them before sending anything. The sandbox drops them like the API
            (`--strict-inputs` makes it answer 400 instead).

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BareError | ErrorEnvelope | ErrorEnvelope | ErrorEnvelope | PredictionEnvelope
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            webhook=webhook,
        )
    ).parsed

from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...models.bare_error import BareError
from ...models.error_envelope import ErrorEnvelope
from ...models.prediction_envelope import PredictionEnvelope
from ...types import Response


def _get_kwargs(
    id: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/api/v3/predictions/{id}/result".format(
            id=quote(str(id), safe=""),
        ),
    }

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

    if response.status_code == 404:
        response_404 = ErrorEnvelope.from_dict(response.json())

        return response_404

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
    id: str,
    *,
    client: AuthenticatedClient | Client,
) -> httpx.Response:
    """Get a prediction's state and outputs: send the request; return the httpx response unparsed.

    For a caller that checks the status and body itself (and parses the body once).
    """
    return client.get_httpx_client().request(
        **_get_kwargs(
            id=id,
        )
    )


def sync_detailed(
    id: str,
    *,
    client: AuthenticatedClient | Client,
) -> Response[BareError | ErrorEnvelope | ErrorEnvelope | ErrorEnvelope | PredictionEnvelope]:
    """Get a prediction's state and outputs

     Returns the current state of a prediction. Safe to repeat: this is the endpoint to
    poll. The vendor's how-to pages also show `GET /api/v3/predictions/{id}` (without
    `/result`); no SDK uses that path and it is left out of this spec until confirmed.

    Args:
        id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BareError | ErrorEnvelope | ErrorEnvelope | ErrorEnvelope | PredictionEnvelope]
    """

    response = sync_raw(
        id=id,
        client=client,
    )

    return _build_response(client=client, response=response)


def sync(
    id: str,
    *,
    client: AuthenticatedClient | Client,
) -> BareError | ErrorEnvelope | ErrorEnvelope | ErrorEnvelope | PredictionEnvelope | None:
    """Get a prediction's state and outputs

     Returns the current state of a prediction. Safe to repeat: this is the endpoint to
    poll. The vendor's how-to pages also show `GET /api/v3/predictions/{id}` (without
    `/result`); no SDK uses that path and it is left out of this spec until confirmed.

    Args:
        id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BareError | ErrorEnvelope | ErrorEnvelope | ErrorEnvelope | PredictionEnvelope
    """

    return sync_detailed(
        id=id,
        client=client,
    ).parsed


async def asyncio_raw(
    id: str,
    *,
    client: AuthenticatedClient | Client,
) -> httpx.Response:
    """Get a prediction's state and outputs: send the request; return the httpx response unparsed.

    For a caller that checks the status and body itself (and parses the body once).
    """
    return await client.get_async_httpx_client().request(
        **_get_kwargs(
            id=id,
        )
    )


async def asyncio_detailed(
    id: str,
    *,
    client: AuthenticatedClient | Client,
) -> Response[BareError | ErrorEnvelope | ErrorEnvelope | ErrorEnvelope | PredictionEnvelope]:
    """Get a prediction's state and outputs

     Returns the current state of a prediction. Safe to repeat: this is the endpoint to
    poll. The vendor's how-to pages also show `GET /api/v3/predictions/{id}` (without
    `/result`); no SDK uses that path and it is left out of this spec until confirmed.

    Args:
        id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BareError | ErrorEnvelope | ErrorEnvelope | ErrorEnvelope | PredictionEnvelope]
    """

    response = await asyncio_raw(
        id=id,
        client=client,
    )

    return _build_response(client=client, response=response)


async def asyncio(
    id: str,
    *,
    client: AuthenticatedClient | Client,
) -> BareError | ErrorEnvelope | ErrorEnvelope | ErrorEnvelope | PredictionEnvelope | None:
    """Get a prediction's state and outputs

     Returns the current state of a prediction. Safe to repeat: this is the endpoint to
    poll. The vendor's how-to pages also show `GET /api/v3/predictions/{id}` (without
    `/result`); no SDK uses that path and it is left out of this spec until confirmed.

    Args:
        id (str):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BareError | ErrorEnvelope | ErrorEnvelope | ErrorEnvelope | PredictionEnvelope
    """

    return (
        await asyncio_detailed(
            id=id,
            client=client,
        )
    ).parsed

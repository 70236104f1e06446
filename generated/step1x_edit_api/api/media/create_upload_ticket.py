from http import HTTPStatus
from typing import Any

import httpx

from ...client import AuthenticatedClient, Client
from ...models.bare_error import BareError
from ...models.error_envelope import ErrorEnvelope
from ...models.upload_ticket_envelope import UploadTicketEnvelope
from ...models.upload_ticket_request import UploadTicketRequest
from ...types import Response


def _get_kwargs(
    *,
    body: UploadTicketRequest,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v3/media/uploads",
    }

    _kwargs["json"] = body.to_dict()

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> BareError | ErrorEnvelope | ErrorEnvelope | ErrorEnvelope | UploadTicketEnvelope:
    if response.status_code == 200:

        def _parse_response_200(data: object) -> ErrorEnvelope | UploadTicketEnvelope:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                response_200_type_0 = UploadTicketEnvelope.from_dict(data)

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

    if response.status_code == 413:
        response_413 = ErrorEnvelope.from_dict(response.json())

        return response_413

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
) -> Response[BareError | ErrorEnvelope | ErrorEnvelope | ErrorEnvelope | UploadTicketEnvelope]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_raw(
    *,
    client: AuthenticatedClient | Client,
    body: UploadTicketRequest,
) -> httpx.Response:
    """Ask for an upload ticket (then PUT the bytes): send the request; return the httpx response unparsed.

    For a caller that checks the status and body itself (and parses the body once).
    """
    return client.get_httpx_client().request(
        **_get_kwargs(
            body=body,
        )
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: UploadTicketRequest,
) -> Response[BareError | ErrorEnvelope | ErrorEnvelope | ErrorEnvelope | UploadTicketEnvelope]:
    """Ask for an upload ticket (then PUT the bytes)

     Two-step upload, used by the vendor's current SDKs (`wavespeed` for Python since
    2.0, and the npm `wavespeed` client): POST the file's name, size and content type; the
    answer carries the future `download_url` and an `upload` instruction. Then send the
    raw bytes with `upload.method` (PUT) to `upload.url`, with exactly `upload.headers` and
    **without the API key** (the URL is presigned, usually on a storage host); any 2xx
    means stored, and `download_url` can then be passed as `image`. No doc page describes
    this endpoint; `uploadBinary` is the documented way.

    Args:
        body (UploadTicketRequest): What the ticket endpoint needs to know about the file.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BareError | ErrorEnvelope | ErrorEnvelope | ErrorEnvelope | UploadTicketEnvelope]
    """

    response = sync_raw(
        client=client,
        body=body,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: UploadTicketRequest,
) -> BareError | ErrorEnvelope | ErrorEnvelope | ErrorEnvelope | UploadTicketEnvelope | None:
    """Ask for an upload ticket (then PUT the bytes)

     Two-step upload, used by the vendor's current SDKs (`wavespeed` for Python since
    2.0, and the npm `wavespeed` client): POST the file's name, size and content type; the
    answer carries the future `download_url` and an `upload` instruction. Then send the
    raw bytes with `upload.method` (PUT) to `upload.url`, with exactly `upload.headers` and
    **without the API key** (the URL is presigned, usually on a storage host); any 2xx
    means stored, and `download_url` can then be passed as `image`. No doc page describes
    this endpoint; `uploadBinary` is the documented way.

    Args:
        body (UploadTicketRequest): What the ticket endpoint needs to know about the file.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BareError | ErrorEnvelope | ErrorEnvelope | ErrorEnvelope | UploadTicketEnvelope
    """

    return sync_detailed(
        client=client,
        body=body,
    ).parsed


async def asyncio_raw(
    *,
    client: AuthenticatedClient | Client,
    body: UploadTicketRequest,
) -> httpx.Response:
    """Ask for an upload ticket (then PUT the bytes): send the request; return the httpx response unparsed.

    For a caller that checks the status and body itself (and parses the body once).
    """
    return await client.get_async_httpx_client().request(
        **_get_kwargs(
            body=body,
        )
    )


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: UploadTicketRequest,
) -> Response[BareError | ErrorEnvelope | ErrorEnvelope | ErrorEnvelope | UploadTicketEnvelope]:
    """Ask for an upload ticket (then PUT the bytes)

     Two-step upload, used by the vendor's current SDKs (`wavespeed` for Python since
    2.0, and the npm `wavespeed` client): POST the file's name, size and content type; the
    answer carries the future `download_url` and an `upload` instruction. Then send the
    raw bytes with `upload.method` (PUT) to `upload.url`, with exactly `upload.headers` and
    **without the API key** (the URL is presigned, usually on a storage host); any 2xx
    means stored, and `download_url` can then be passed as `image`. No doc page describes
    this endpoint; `uploadBinary` is the documented way.

    Args:
        body (UploadTicketRequest): What the ticket endpoint needs to know about the file.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BareError | ErrorEnvelope | ErrorEnvelope | ErrorEnvelope | UploadTicketEnvelope]
    """

    response = await asyncio_raw(
        client=client,
        body=body,
    )

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: UploadTicketRequest,
) -> BareError | ErrorEnvelope | ErrorEnvelope | ErrorEnvelope | UploadTicketEnvelope | None:
    """Ask for an upload ticket (then PUT the bytes)

     Two-step upload, used by the vendor's current SDKs (`wavespeed` for Python since
    2.0, and the npm `wavespeed` client): POST the file's name, size and content type; the
    answer carries the future `download_url` and an `upload` instruction. Then send the
    raw bytes with `upload.method` (PUT) to `upload.url`, with exactly `upload.headers` and
    **without the API key** (the URL is presigned, usually on a storage host); any 2xx
    means stored, and `download_url` can then be passed as `image`. No doc page describes
    this endpoint; `uploadBinary` is the documented way.

    Args:
        body (UploadTicketRequest): What the ticket endpoint needs to know about the file.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BareError | ErrorEnvelope | ErrorEnvelope | ErrorEnvelope | UploadTicketEnvelope
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
        )
    ).parsed

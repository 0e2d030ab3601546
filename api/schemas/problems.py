"""The RFC 9457 problem document every error answer carries, as a schema for the OpenAPI description.

``api/problems.py`` builds these bodies; this model only describes them (it is what ``/docs`` shows
and what a client generator reads), so its fields must stay exactly the members that module writes.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class FieldProblem(BaseModel):
    """One bad field of a request and why it was refused."""

    model_config = ConfigDict(extra="forbid")

    pointer: str = Field(
        description="Where the bad value is: a JSON pointer into the body (`/primary_contact/email`), "
        "or `query:NAME`, `path:NAME`, `header:NAME` for parameters",
        examples=["/jurisdiction"],
    )
    reason: str = Field(description="Why the value was refused, in plain words", examples=["unknown region"])


class Problem(BaseModel):
    """An error answer (RFC 9457 problem details, media type ``application/problem+json``)."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(
        description="A URI naming the kind of problem; stable, so clients may branch on it",
        examples=["https://undersign.dev/problems/invalid-input"],
    )
    title: str = Field(description="A short summary of the kind of problem", examples=["Invalid input"])
    status: int = Field(description="The HTTP status code of this answer", examples=[422])
    detail: str = Field(
        description="What went wrong with this request and what to do about it",
        examples=["The request has invalid fields: /jurisdiction. Nothing was stored."],
    )
    instance: str = Field(description="The path of the request", examples=["/v1/clients"])
    request_id: str | None = Field(
        description="The request's id (also in the `X-Request-ID` header); quote it when reporting a problem",
        examples=["6a4c0e3f9b2d4c1e8f7a6b5c4d3e2f1a"],
    )
    errors: list[FieldProblem] | None = Field(
        default=None, description="Each bad field, when the problem is about the request's values"
    )

"""The one exception tree of undersign.

Every failure a user can act on is one of these; the API turns each into an RFC 9457
``application/problem+json`` response with the status named here, and adapters translate
third-party errors (botocore, SQLAlchemy, smtplib, pyHanko) into them at the boundary so that
no library exception reaches a caller.

    UndersignError                      500  (base; never raised directly)
    ├── InvalidInput                    422  a value is wrong; ``errors`` lists each field
    │   └── TemplateDataInvalid         422  variables do not match a template's schema
    ├── NotFound                        404
    ├── Conflict                        409  duplicate or state conflict
    │   └── InvalidTransition           409  a lifecycle step that is not allowed now
    ├── Unauthenticated                 401  no key, unknown key, revoked key
    ├── Forbidden                       403  the role may not do this
    ├── PayloadTooLarge                 413
    ├── RateLimited                     429
    ├── RenderBudgetExceeded            422  a render ran out of time or pages
    ├── TemplateInvalid                 500  a template in the library is malformed (a deployment error)
    └── DependencyUnavailable           503  something we depend on is down; retry later
        ├── StoreUnavailable            503  the object store
        │   └── StoreMisconfigured      503  the bucket exists but is unsafe (versioning off): refuse to run
        ├── DatabaseUnavailable         503
        ├── MailUnavailable             503
        └── TimestampUnavailable        503  a configured TSA did not answer: never seal without it
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    """One bad field: where it is (a JSON pointer or dotted path) and why it is bad."""

    pointer: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        """Return the field error as the ``errors`` member of a problem document."""
        return {"pointer": self.pointer, "reason": self.reason}


class UndersignError(Exception):
    """Base of every error undersign raises on purpose."""

    status = 500
    title = "Internal error"
    type_slug = "internal"

    def __init__(self, detail: str, *, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors or [])

    def __reduce__(self) -> tuple[object, ...]:
        # Errors cross process boundaries (render workers); keep the field list when pickled.
        return (_rebuild, (type(self), self.detail, self.errors))


class InvalidInput(UndersignError):
    """A value sent by the caller is wrong; ``errors`` names each bad field."""

    status = 422
    title = "Invalid input"
    type_slug = "invalid-input"


class TemplateDataInvalid(InvalidInput):
    """The variables given to a template do not satisfy its schema."""

    title = "Template variables are invalid"
    type_slug = "template-data-invalid"


class NotFound(UndersignError):
    """The thing asked for does not exist (or the caller may not know that it does)."""

    status = 404
    title = "Not found"
    type_slug = "not-found"


class Conflict(UndersignError):
    """The request conflicts with what is stored (a duplicate, a frozen record)."""

    status = 409
    title = "Conflict"
    type_slug = "conflict"


class InvalidTransition(Conflict):
    """A lifecycle transition that the current state does not allow."""

    title = "Transition not allowed"
    type_slug = "invalid-transition"


class Unauthenticated(UndersignError):
    """No credentials, or credentials that are unknown or revoked."""

    status = 401
    title = "Unauthenticated"
    type_slug = "unauthenticated"


class Forbidden(UndersignError):
    """The caller is known but its role may not do this."""

    status = 403
    title = "Forbidden"
    type_slug = "forbidden"


class PayloadTooLarge(UndersignError):
    """The request body is larger than the configured limit."""

    status = 413
    title = "Payload too large"
    type_slug = "payload-too-large"


class RateLimited(UndersignError):
    """The same action was asked for too often."""

    status = 429
    title = "Too many requests"
    type_slug = "rate-limited"


class RenderBudgetExceeded(UndersignError):
    """A document render exceeded its time or page budget."""

    status = 422
    title = "Render budget exceeded"
    type_slug = "render-budget-exceeded"


class TemplateInvalid(UndersignError):
    """A template in the library is malformed: bad manifest, missing clause, Jinja error, forbidden URL.

    This is the deployment's fault, not the caller's; ``errors`` points at each problem (file and place).
    """

    status = 500
    title = "Template invalid"
    type_slug = "template-invalid"


class DependencyUnavailable(UndersignError):
    """A component undersign depends on is down; the request changed nothing and may be retried."""

    status = 503
    title = "Service unavailable"
    type_slug = "dependency-unavailable"


class StoreUnavailable(DependencyUnavailable):
    """The object store cannot be reached or refused the request for a reason outside our control."""

    title = "Object store unavailable"
    type_slug = "store-unavailable"


class StoreMisconfigured(StoreUnavailable):
    """The bucket answers but cannot keep versions safely (versioning off); the service must not run on it."""

    title = "Object store misconfigured"
    type_slug = "store-misconfigured"


class DatabaseUnavailable(DependencyUnavailable):
    """The database cannot be reached."""

    title = "Database unavailable"
    type_slug = "database-unavailable"


class MailUnavailable(DependencyUnavailable):
    """The mail relay cannot be reached or refused the message."""

    title = "Mail relay unavailable"
    type_slug = "mail-unavailable"


class TimestampUnavailable(DependencyUnavailable):
    """A configured timestamp authority did not answer; sealing must wait rather than invent a time."""

    title = "Timestamp authority unavailable"
    type_slug = "timestamp-unavailable"


def _rebuild(cls: type[UndersignError], detail: str, errors: list[FieldError]) -> UndersignError:
    return cls(detail, errors=errors)

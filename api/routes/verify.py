"""``POST /v1/verify``: whether a PDF is one of our sealed records, intact, and which one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, UploadFile

from api.deps import ReaderDep, VerificationServiceDep
from domain.errors import FieldError, InvalidInput

router = APIRouter(prefix="/v1/verify", tags=["envelopes"])


@router.post("")
def verify(
    _actor: ReaderDep, service: VerificationServiceDep, file: Annotated[UploadFile, File(description="The PDF")]
) -> dict[str, Any]:
    """Check the seal (ours, intact, whole file), name the envelope and signers, compare with the stored copy."""
    data = file.file.read()
    if not data.startswith(b"%PDF-"):
        raise InvalidInput("The upload is not a PDF.", errors=[FieldError("file", "not a PDF")])
    return service.verify(data)

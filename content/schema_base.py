"""Field types and the base model shared by every content schema module."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", max_length=64)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Phone = Annotated[str, StringConstraints(pattern=r"^[0-9+\-() ]{3,30}$")]


class Model(BaseModel):
    """Base for content models: strict about unknown fields, immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)

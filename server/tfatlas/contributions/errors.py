"""Refusals of a write, each with the HTTP status it answers with and a message in de and en."""

from __future__ import annotations

from ._deps import AtlasError


class WriteRefused(AtlasError):
    """A write that is not applied; nothing was stored."""

    status = 400

    def __init__(self, en: str, de: str | None = None, *, headers: dict[str, str] | None = None):
        super().__init__(en)
        self.messages = {"en": en, "de": de or en}
        self.headers = headers or {}

    def in_language(self, lang: str = "en") -> str:
        """The message in German or English (``message`` is the English one)."""
        return self.messages.get(lang) or self.messages["en"]


class BadBody(WriteRefused):
    """A body that does not parse (with line and column where the parser gives them)."""

    status = 400


class Unauthorized(WriteRefused):
    status = 401

    def __init__(self, en: str, de: str | None = None):
        super().__init__(en, de, headers={"WWW-Authenticate": 'Bearer realm="tfatlas contributions"'})


class Forbidden(WriteRefused):
    status = 403


class NotFound(WriteRefused):
    status = 404


class UnsupportedMediaType(WriteRefused):
    status = 415


class RateLimited(WriteRefused):
    status = 429


class BadGateway(WriteRefused):
    """Another server the write needs (a LOAD's document) cannot be reached or answers an error."""

    status = 502


class ShapesViolated(WriteRefused):
    """The change violates the atlas shapes; ``report`` is the validation report."""

    status = 422

    def __init__(self, report, lang: str = "en"):
        super().__init__(
            "The change violates the atlas shapes; nothing was stored.\n" + report.text("en", warnings=False),
            "Die Änderung verletzt die Shapes des Atlas; es wurde nichts gespeichert.\n"
            + report.text("de", warnings=False))
        self.report = report

"""Errors the service layer raises; adapters turn them into 4xx answers or form messages."""

from __future__ import annotations

from coworking_app.formatting import plural
from coworking_app.i18n import N_, tr


class ServiceError(Exception):
    """Base class: a request that cannot be carried out as asked. The transaction is rolled
    back, unless the refusal is `keeping_changes()`: then what the service wrote on the way
    (a session revoked on refresh-token reuse, a wrong code counted) is committed first."""

    keep_changes: bool = False
    _message: str = ""

    @property
    def message(self) -> str:
        """The refusal in the current language: a text raised as its Russian source (a module
        constant) is translated here; one raised already translated stays as it is."""
        return tr(self._message)

    @message.setter
    def message(self, value: str) -> None:
        self._message = value

    def keeping_changes(self) -> "ServiceError":
        self.keep_changes = True
        return self


class InvalidInput(ServiceError):
    """Bad input for one named field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class NotFound(ServiceError):
    def __init__(self, what: str = N_("Не найдено")) -> None:
        super().__init__(what)
        self.message = what


class NotAuthenticated(ServiceError):
    """No valid sign-in (401)."""

    def __init__(self, message: str = N_("Войдите, чтобы продолжить")) -> None:
        super().__init__(message)
        self.message = message


class PermissionDenied(ServiceError):
    """Signed in, but this user may not do this (403)."""

    def __init__(self, message: str = N_("Недостаточно прав для этого действия")) -> None:
        super().__init__(message)
        self.message = message


class Conflict(ServiceError):
    """The request clashes with existing data (409), e.g. an email already used."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class RateLimited(ServiceError):
    """Too many attempts (429); `retry_after` seconds until the next one is allowed."""

    def __init__(self, retry_after: int, message: str = N_("Слишком много попыток")) -> None:
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))
        self.message = message

    @property
    def wait_text(self) -> str:
        """The message with the wait, as a person reads it: "…, попробуйте через 5 минут"."""
        seconds = self.retry_after
        if seconds < 60:
            wait = plural(seconds, "секунду", "секунды", "секунд")
        elif seconds < 3600:
            wait = plural(-(-seconds // 60), "минуту", "минуты", "минут")
        else:
            wait = plural(-(-seconds // 3600), "час", "часа", "часов")
        return tr("{rstrip}. Попробуйте через {wait}", rstrip=self.message.rstrip('.'), wait=wait)


class SecondFactorRequired(ServiceError):
    """Password accepted; a TOTP or recovery code is needed to finish signing in (401)."""

    def __init__(self, message: str = N_("Введите код из приложения-аутентификатора")) -> None:
        super().__init__(message)
        self.message = message


class PayloadTooLarge(ServiceError):
    """A file or body over the limit (413)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class UnsupportedMedia(ServiceError):
    """A file that is not what we accept (415)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

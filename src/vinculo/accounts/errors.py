"""What the accounts services raise (the faces turn each into its status: 400, 401, 403, 404, 429)."""

from __future__ import annotations


class AuthError(Exception):
    """Authentication failed; the message is safe to show."""


class SecondFactorMissing(AuthError):
    """The password was right and this user logs in with a second factor: the one-time code is missing."""


class SecondFactorWrong(AuthError):
    """The password was right; the one-time code or recovery code was not (counted as a failed login)."""


class SecondFactorUnreadable(AuthError):
    """The node cannot open the user's stored seed (its secrets key is missing or was replaced)."""


class EnrolmentRequired(AuthError):
    """The user's role must use a second factor and the user has not enrolled one: only enrolment is open."""


class AccountError(ValueError):
    pass


class AccountNotFound(AccountError):
    """No such user or token (or one the asker may not see)."""


class AccountForbidden(AccountError):
    """The asker may not do this to another user's tokens."""


class LoginThrottled(Exception):
    """Too many failed logins for this user name or client address: try again in `retry_after` seconds."""

    def __init__(self, retry_after: int):
        super().__init__(f"too many failed logins; try again in {retry_after} seconds")
        self.retry_after = retry_after

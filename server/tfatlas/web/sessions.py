"""The edit page's session cookie: signed with the secret key, HttpOnly, SameSite=Strict, Secure
over https, sent only to /edit/ (no other route reads a session)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface

from ..contributions.setup import accounts_path
from ..errors import InputError

EDIT_PATH = "/edit"
KEY_FILE = "edit-secret.key"


class EditSessions(SecureCookieSessionInterface):
    def get_cookie_secure(self, app: Flask) -> bool:
        return request.is_secure  # behind a TLS proxy, only when the proxy says https (ProxyFix)

    def get_cookie_samesite(self, app: Flask) -> str:
        return "Strict"

    def get_cookie_httponly(self, app: Flask) -> bool:
        return True

    def get_cookie_path(self, app: Flask) -> str:
        return (request.script_root or "") + EDIT_PATH


def secret_key(config) -> str:
    """``secret_key``, else the key kept beside the accounts file (made once, mode 0600)."""
    if config.secret_key:
        return config.secret_key
    path = Path(accounts_path(config)).parent / KEY_FILE
    try:
        return path.read_text("utf-8").strip()
    except FileNotFoundError:
        pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return path.read_text("utf-8").strip()
    except OSError as exc:
        raise InputError(f"cannot keep the edit page's secret key in {path} ({exc.strerror}); "
                         "set TFATLAS_SECRET_KEY instead") from None
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(key + "\n")
        out.flush()
        os.fsync(out.fileno())
    return key


def init_app(app: Flask) -> None:
    app.secret_key = secret_key(app.config["TFATLAS"])
    app.session_interface = EditSessions()
    app.config["SESSION_COOKIE_NAME"] = "tfatlas_edit"
    app.config["WTF_CSRF_TIME_LIMIT"] = 8 * 3600

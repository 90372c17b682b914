"""Server sessions that know their user, so they can all be ended at once.

Django's database backend stores a session as an opaque encoded blob: finding a user's
sessions would mean decoding every row. This backend (``SESSION_ENGINE``) is the same
database backend with the signed-in user's id copied into an indexed column of
``accounts.Session`` on every save; ``user_sessions_end`` is then one DELETE.

Every signed-in request reads its session, its user and the user's membership. The
session's row is read with the user and member rows in one written statement
(``core.db.rows``): one round trip and no ORM compiling where Django's backend, its
authentication and the member lookup took three queries. ``session_user`` (the
authentication middleware's ``request.user``) takes the user from that read and checks it
exactly as ``django.contrib.auth.get_user`` does.
"""

from functools import cache

from django.conf import settings
from django.contrib.auth import (
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    get_user_model,
    load_backend,
)
from django.contrib.auth.backends import ModelBackend
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connection
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from core.db.rows import Columns, rows_read


class SessionStore(DatabaseSessionStore):
    # The user of the session's row and their membership, read with it (``None`` until
    # the session is loaded, or when the row names no user).
    user_read = None

    @classmethod
    def get_model_class(cls):
        from accounts.models import Session

        return Session

    def create_model_instance(self, data):
        return _with_user(super().create_model_instance(data), data)

    async def acreate_model_instance(self, data):
        return _with_user(await super().acreate_model_instance(data), data)

    def _get_session_from_db(self):
        """The session's row (``None``, and no key, when it does not exist or expired),
        with its user and member in ``user_read``: one statement."""
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        rows = rows_read(_session_sql(), [self.session_key, now], _session_columns())
        self.user_read = None
        if not rows:
            self._session_key = None
            return None
        session, user, member = rows[0]
        if user is not None:
            user._state.fields_cache["member"] = member  # ``user.member``, no query
            if member is not None:
                member._state.fields_cache["user"] = user
            self.user_read = user
        return session


def _with_user(session, data: dict):
    user_id = data.get(SESSION_KEY)
    session.user_id = int(user_id) if user_id is not None else None
    return session


@cache
def _session_columns() -> tuple[Columns, Columns, Columns]:
    from accounts.models import Member, Session

    return Columns(Session, "s"), Columns(get_user_model(), "u"), Columns(Member, "m")


@cache
def _session_sql() -> str:
    session, user, member = _session_columns()
    return (
        f"SELECT {session.sql()}, {user.sql()}, {member.sql()} "  # noqa: S608 - no input in the text
        f"FROM {session.model._meta.db_table} s "
        f"LEFT JOIN {user.model._meta.db_table} u ON u.id = s.user_id "
        f"LEFT JOIN {member.model._meta.db_table} m ON m.user_id = u.id "
        "WHERE s.session_key = %s AND s.expire_date > %s"
    )


def session_user(request):
    """The signed-in user of ``request`` or ``AnonymousUser``: what
    ``django.contrib.auth.get_user`` returns, with the user (and ``user.member``) taken
    from the session's own read when the session's backend is the model backend."""
    from django.contrib.auth.models import AnonymousUser

    user = None
    session = request.session
    try:
        user_id = get_user_model()._meta.pk.to_python(session[SESSION_KEY])
        backend_path = session[BACKEND_SESSION_KEY]
    except KeyError:
        pass
    else:
        if backend_path in settings.AUTHENTICATION_BACKENDS:
            backend = load_backend(backend_path)
            read = getattr(session, "user_read", None)
            if (
                read is not None
                and read.pk == user_id
                and type(backend).get_user is ModelBackend.get_user
            ):
                user = read if backend.user_can_authenticate(read) else None
            else:
                user = backend.get_user(user_id)
            if hasattr(user, "get_session_auth_hash"):
                session_hash = session.get(HASH_SESSION_KEY)
                session_auth_hash = user.get_session_auth_hash()
                verified = bool(session_hash) and constant_time_compare(
                    session_hash, session_auth_hash
                )
                if not verified:
                    # Verified by one of SECRET_KEY_FALLBACKS: a new key and hash.
                    if session_hash and any(
                        constant_time_compare(session_hash, fallback)
                        for fallback in user.get_session_auth_fallback_hash()
                    ):
                        session.cycle_key()
                        session[HASH_SESSION_KEY] = session_auth_hash
                    else:
                        session.flush()
                        user = None
    return user or AnonymousUser()


def user_sessions_end(*, user, except_key: str | None = None) -> int:
    """Deletes every server session of ``user`` (but ``except_key``, the session of a
    member who changed their own password); an old cookie then reaches nobody, even
    after the user is activated or unlocked again. Returns how many ended."""
    from accounts.models import Session

    sessions = Session.objects.filter(user_id=user.pk)
    if except_key:
        sessions = sessions.exclude(session_key=except_key)
    ended, _ = sessions.delete()
    return ended

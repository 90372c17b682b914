"""Server sessions that know their user, so they can all be ended at once.

Django's database backend stores a session as an opaque encoded blob: finding a user's
sessions would mean decoding every row. This backend (``SESSION_ENGINE``) is the same
database backend with the signed-in user's id copied into an indexed column of
``accounts.Session`` on every save; ``user_sessions_end`` is then one DELETE.
"""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore


class SessionStore(DatabaseSessionStore):
    @classmethod
    def get_model_class(cls):
        from accounts.models import Session

        return Session

    def create_model_instance(self, data):
        return _with_user(super().create_model_instance(data), data)

    async def acreate_model_instance(self, data):
        return _with_user(await super().acreate_model_instance(data), data)


def _with_user(session, data: dict):
    user_id = data.get(SESSION_KEY)
    session.user_id = int(user_id) if user_id is not None else None
    return session


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

"""Who acts and for whom: the one place a request is resolved into an ``Actor``.

The signed-in user acts; the owner is the member whose products the request reads and
moves — today the user's own membership (a natural person). A company user will act for
the company (a legal-entity member) that the enterprise app resolves: it registers a
resolver here, and no view or selector changes."""

from collections.abc import Callable

from django.http import Http404

from accounts.models import Member, User
from accounts.operations import Actor

OwnerResolver = Callable[[object], Member | None]
_resolvers: list[OwnerResolver] = []


def owner_resolver_register(resolver: OwnerResolver) -> None:
    """``resolver(request)`` returns the owner the request acts for, or ``None`` to let
    the next resolver (finally the user's own membership) answer."""
    if resolver not in _resolvers:
        _resolvers.append(resolver)


def owner_of(user: User) -> Member | None:
    """The user's own membership, if they are a member."""
    try:
        return user.member
    except (Member.DoesNotExist, AttributeError):
        return None


def request_owner(request) -> Member | None:
    for resolver in _resolvers:
        owner = resolver(request)
        if owner is not None:
            return owner
    return owner_of(request.user) if request.user.is_authenticated else None


def request_actor(request, *, channel: str = "web", owner_required: bool = True) -> Actor:
    """The actor of a signed-in request; a user who acts for no owner gets a 404 where an
    owner is required (a staff user on a member's page)."""
    owner = request_owner(request)
    if owner is None and owner_required:
        raise Http404
    return Actor(user=request.user, owner=owner, channel=channel, request=request)


def request_member(request) -> Member:
    """The owner of a signed-in request, or a 404: for pages that read an owner's data."""
    return request_actor(request).owner

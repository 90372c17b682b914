"""``migrate`` as the tables' owner when ``DATABASE_OWNER_URL`` is set, ending with the
application role's grants (``db_roles``); without it, Django's ``migrate`` unchanged."""

from django.core.management.base import CommandError
from django.core.management.commands import migrate
from django.db import DEFAULT_DB_ALIAS, connections

from core.db.roles import RoleError, app_role_grant, connected_as, owner_credentials


class Command(migrate.Command):
    def handle(self, *args, **options):
        if options["database"] != DEFAULT_DB_ALIAS:
            return super().handle(*args, **options)
        try:
            owner = owner_credentials()
        except RoleError as error:
            raise CommandError(str(error)) from error
        if owner is None:
            return super().handle(*args, **options)
        role = connections[DEFAULT_DB_ALIAS].settings_dict["USER"]
        with connected_as(user=owner[0], password=owner[1]):
            super().handle(*args, **options)
            try:
                granted = app_role_grant(role=role)
            except RoleError as error:
                raise CommandError(str(error)) from error
        if options["verbosity"] >= 1:
            for line in granted.lines():
                self.stdout.write(line)

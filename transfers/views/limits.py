"""Personalización de Cupos: the member's own daily, weekly and monthly amounts per
transfer type, never above the cooperative's, confirmed with the security code
(``transfers.operations.LimitsChange``)."""

from accounts.confirm import operation_view
from transfers import operations

limits_change = operation_view(operations.limits_change)

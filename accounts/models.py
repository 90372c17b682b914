from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models

from accounts import identification


class User(AbstractUser):
    """A person who signs in: a member, an enterprise user or branch staff."""

    last_login_device = models.CharField(
        "dispositivo de la última conexión", max_length=120, blank=True
    )

    class Meta:
        verbose_name = "usuario"
        verbose_name_plural = "usuarios"

    @property
    def portal_audience(self) -> str:
        return "member"

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class Member(models.Model):
    """A socio of the cooperative, created by branch staff."""

    class IdType(models.TextChoices):
        CEDULA = identification.CEDULA, "Cédula"
        RUC = identification.RUC, "RUC"
        PASSPORT = identification.PASSPORT, "Pasaporte"

    user = models.OneToOneField(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="member"
    )
    member_number = models.CharField("número de socio", max_length=20, unique=True)
    id_type = models.CharField("tipo de identificación", max_length=10, choices=IdType)
    id_number = models.CharField("número de identificación", max_length=20)
    first_names = models.CharField("nombres", max_length=100)
    last_names = models.CharField("apellidos", max_length=100)
    email = models.EmailField("correo electrónico")
    mobile_phone = models.CharField("celular", max_length=20)
    birth_date = models.DateField("fecha de nacimiento")
    address = models.CharField("dirección", max_length=255)
    created_at = models.DateTimeField("creado", auto_now_add=True)

    class Meta:
        verbose_name = "socio"
        verbose_name_plural = "socios"
        constraints = [
            models.UniqueConstraint(
                fields=["id_type", "id_number"], name="unique_member_identification"
            )
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.member_number})"

    @property
    def full_name(self) -> str:
        return f"{self.first_names} {self.last_names}"

    def clean(self) -> None:
        if self.id_type and self.id_number:
            try:
                self.id_number = identification.normalize_identification(
                    self.id_type, self.id_number
                )
            except ValidationError as exc:
                raise ValidationError({"id_number": exc.messages}) from exc

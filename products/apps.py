from django.apps import AppConfig


class ProductsConfig(AppConfig):
    name = "products"
    verbose_name = "Mis productos"

    def ready(self) -> None:
        from accounts.enrollment import enrollment_requirement_register
        from products.selectors import enrollment_needs_an_active_product

        enrollment_requirement_register(enrollment_needs_an_active_product)
        # Its operation kinds, so that a worker can execute one by purpose.
        from products import operations  # noqa: F401

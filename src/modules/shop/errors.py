"""Shop domain errors (Spanish messages: clients read them)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from platform_core.errors import Conflict, NotFound, ValidationFailed


class OutOfStock(Conflict):
    code = "out_of_stock"
    default_message = _("No hay unidades suficientes de uno de los productos.")


class ProductNotFound(NotFound):
    code = "product_not_found"
    default_message = _("El producto no existe o no está disponible.")


class OrderNotFound(NotFound):
    code = "order_not_found"
    default_message = _("El pedido no existe.")


class CartEmpty(Conflict):  # the cart's state refuses a well-formed checkout
    code = "cart_empty"
    default_message = _("Tu carrito está vacío.")


class AddressRequired(ValidationFailed):
    code = "address_required"
    default_message = _("Para el domicilio necesitamos la dirección en Bogotá.")


class InvalidTransition(Conflict):
    code = "invalid_status_transition"
    default_message = _("El pedido no puede pasar a ese estado.")


class InvalidQuantity(ValidationFailed):
    code = "invalid_quantity"
    default_message = _("La cantidad no es válida.")


class StockWouldGoNegative(Conflict):
    code = "stock_negative"
    default_message = _("El inventario no puede quedar negativo.")


class OrderNotPayable(Conflict):
    code = "order_not_payable"
    default_message = _("Este pedido ya no está pendiente de pago.")


class OrderExpired(Conflict):
    code = "order_expired"
    default_message = _("El tiempo para pagar este pedido terminó. Haz un pedido nuevo.")


class PaymentOpen(Conflict):
    code = "payment_open"
    default_message = _(
        "Este pedido ya tiene un pago abierto: complétalo o espera a que venza para usar un bono."
    )


class PaymentBeingConfirmed(Conflict):
    code = "payment_being_confirmed"
    default_message = _("Tu pago fue aprobado y lo estamos confirmando.")

"""Shop data: catalog, inventory, carts and orders.

Stock is the number of units available to sell now: a checkout reserves units by
decrementing it, an expired or cancelled order releases them. Every change to it is an
``InventoryMovement`` and the database refuses a negative value (CHECK constraint).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import FileExtensionValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

IMAGE_EXTENSIONS = ["jpg", "jpeg", "png", "webp"]


class Category(models.Model):
    """Two levels: a top category ("Aceites") and its subcategories ("Aceites de masaje")."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("nombre"), max_length=120)
    slug = models.SlugField(_("identificador"), max_length=120, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("categoría padre"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    position = models.PositiveSmallIntegerField(_("orden"), default=0)
    active = models.BooleanField(_("activa"), default=True)

    class Meta:
        verbose_name = _("categoría")
        verbose_name_plural = _("categorías")
        ordering = ("position", "name")

    def __str__(self) -> str:
        return f"{self.parent.name} › {self.name}" if self.parent_id else self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.parent_id is None:
            return
        if self.parent.parent_id is not None:
            raise ValidationError({"parent": _("Solo se permiten dos niveles de categorías.")})
        if self.pk and (self.parent_id == self.pk or self.children.exists()):
            raise ValidationError(
                {"parent": _("Una categoría con subcategorías no puede tener padre.")}
            )


class Tag(models.Model):
    name = models.CharField(_("nombre"), max_length=60)
    slug = models.SlugField(_("identificador"), max_length=60, unique=True)

    class Meta:
        verbose_name = _("etiqueta")
        verbose_name_plural = _("etiquetas")
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sku = models.CharField("SKU", max_length=64, unique=True)
    name = models.CharField(_("nombre"), max_length=200)
    description = models.TextField(_("descripción"), blank=True)
    category = models.ForeignKey(
        Category,
        verbose_name=_("categoría"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="products",
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("etiquetas"), blank=True)
    price_cents = models.BigIntegerField(_("precio (centavos)"), validators=[MinValueValidator(0)])
    vip_price_cents = models.BigIntegerField(
        _("precio VIP (centavos)"), null=True, blank=True, validators=[MinValueValidator(0)]
    )
    currency = models.CharField(_("moneda"), max_length=3, default="COP")
    active = models.BooleanField(_("activo"), default=True)
    # Only services change stock (conditional UPDATEs plus a movement row).
    stock = models.IntegerField(_("existencias"), default=0, editable=False)
    low_stock_threshold = models.PositiveIntegerField(
        _("umbral de pocas unidades"),
        null=True,
        blank=True,
        help_text=_("Vacío: se usa el valor general SHOP_LOW_STOCK_THRESHOLD."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("producto")
        verbose_name_plural = _("productos")
        ordering = ("name",)
        constraints = [
            models.CheckConstraint(
                condition=Q(stock__gte=0),
                name="shop_product_stock_gte_0",
                violation_error_message=_("El inventario no puede quedar negativo."),
            ),
            models.CheckConstraint(
                condition=Q(price_cents__gte=0),
                name="shop_product_price_gte_0",
                violation_error_message=_("El precio no puede ser negativo."),
            ),
            models.CheckConstraint(
                condition=Q(vip_price_cents__isnull=True)
                | (Q(vip_price_cents__gte=0) & Q(vip_price_cents__lte=models.F("price_cents"))),
                name="shop_product_vip_price_valid",
                violation_error_message=_(
                    "El precio VIP debe ser positivo y no mayor que el precio normal."
                ),
            ),
        ]
        indexes = [models.Index(fields=["active", "price_cents"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"

    @property
    def threshold(self) -> int:
        if self.low_stock_threshold is not None:
            return self.low_stock_threshold
        return settings.SHOP_LOW_STOCK_THRESHOLD

    @property
    def availability(self) -> str:
        """What clients see instead of the raw count: in_stock / low / out."""
        if self.stock <= 0:
            return "out"
        if self.stock <= self.threshold:
            return "low"
        return "in_stock"

    def unit_price(self, *, vip: bool) -> int:
        if vip and self.vip_price_cents is not None:
            return self.vip_price_cents
        return self.price_cents


class ProductImage(models.Model):
    """An image uploaded through the configured storage, or an external URL."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="images")
    image = models.FileField(
        _("archivo"),
        upload_to="shop/products/",
        blank=True,
        validators=[FileExtensionValidator(IMAGE_EXTENSIONS)],
    )
    url = models.URLField(_("URL"), blank=True, max_length=500)
    alt = models.CharField(_("texto alternativo"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("orden"), default=0)

    class Meta:
        verbose_name = _("imagen")
        verbose_name_plural = _("imágenes")
        ordering = ("position", "pk")
        constraints = [
            models.CheckConstraint(
                condition=(Q(image="") & ~Q(url="")) | (~Q(image="") & Q(url="")),
                name="shop_image_file_xor_url",
            )
        ]

    def __str__(self) -> str:
        return self.alt or self.src

    @property
    def src(self) -> str:
        return self.image.url if self.image else self.url


class MovementKind(models.TextChoices):
    RECEIPT = "receipt", _("Entrada de mercancía")
    SALE = "sale", _("Venta en mostrador")
    RESERVATION = "reservation", _("Reserva por pedido")
    RELEASE = "release", _("Liberación de reserva")
    ADJUSTMENT = "adjustment", _("Ajuste de inventario")


class InventoryMovement(models.Model):
    """Append-only ledger: the sum of ``quantity`` per product equals its stock."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(_("tipo"), max_length=20, choices=MovementKind.choices)
    quantity = models.IntegerField(_("cantidad"), help_text=_("Positiva entra, negativa sale."))
    stock_after = models.IntegerField(_("existencias después"))
    reason = models.CharField(_("motivo"), max_length=255)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsable"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    order = models.ForeignKey(
        "Order", null=True, blank=True, on_delete=models.PROTECT, related_name="movements"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("movimiento de inventario")
        verbose_name_plural = _("movimientos de inventario")
        ordering = ("-created_at", "-pk")
        constraints = [
            models.CheckConstraint(condition=~Q(quantity=0), name="shop_movement_nonzero"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.quantity:+d} {self.product.sku}"


class Cart(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shop_cart"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("carrito")
        verbose_name_plural = _("carritos")

    def __str__(self) -> str:
        return f"Carrito {self.user_id}"


class CartItem(models.Model):
    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("added_at", "pk")
        constraints = [
            models.UniqueConstraint(fields=["cart", "product"], name="shop_cart_item_unique"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="shop_cart_item_qty_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.product_id}"


class OrderStatus(models.TextChoices):
    PENDING_PAYMENT = "PENDING_PAYMENT", _("Pendiente de pago")
    PAID = "PAID", _("Pagado")
    PREPARING = "PREPARING", _("En preparación")
    READY_FOR_PICKUP = "READY_FOR_PICKUP", _("Listo para recoger")
    OUT_FOR_DELIVERY = "OUT_FOR_DELIVERY", _("En camino")
    COMPLETED = "COMPLETED", _("Completado")
    CANCELLED = "CANCELLED", _("Cancelado")
    EXPIRED = "EXPIRED", _("Vencido")
    REFUNDED = "REFUNDED", _("Reembolsado")


class Fulfilment(models.TextChoices):
    PICKUP = "pickup", _("Recoger en el spa")
    DELIVERY = "delivery", _("Domicilio en Bogotá")


class Order(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="shop_orders"
    )
    status = models.CharField(
        _("estado"),
        max_length=20,
        choices=OrderStatus.choices,
        default=OrderStatus.PENDING_PAYMENT,
        db_index=True,
    )
    fulfilment = models.CharField(_("entrega"), max_length=10, choices=Fulfilment.choices)
    # Delivery address (pseudonymised when the client's personal data is erased).
    recipient_name = models.CharField(_("quien recibe"), max_length=150, blank=True)
    recipient_phone = models.CharField(_("teléfono de quien recibe"), max_length=20, blank=True)
    address_line = models.CharField(_("dirección"), max_length=255, blank=True)
    address_details = models.CharField(_("complemento"), max_length=255, blank=True)
    neighborhood = models.CharField(_("barrio"), max_length=120, blank=True)
    city = models.CharField(_("ciudad"), max_length=60, blank=True)
    delivery_notes = models.CharField(_("indicaciones"), max_length=255, blank=True)
    address_erased_at = models.DateTimeField(null=True, blank=True)

    vip_pricing = models.BooleanField(_("precios VIP"), default=False)
    subtotal_cents = models.BigIntegerField(_("subtotal (centavos)"))
    delivery_fee_cents = models.BigIntegerField(_("domicilio (centavos)"), default=0)
    total_cents = models.BigIntegerField(_("total (centavos)"))
    currency = models.CharField(_("moneda"), max_length=3, default="COP")

    expires_at = models.DateTimeField(_("vence"), db_index=True)
    paid_at = models.DateTimeField(_("pagado en"), null=True, blank=True)
    payment_reference = models.CharField(_("referencia de pago"), max_length=120, blank=True)
    checkout_url = models.URLField(_("enlace de pago"), max_length=2000, blank=True)
    # A payment that arrived when the order could no longer be fulfilled (expired or
    # cancelled, stock released) is flagged here and handed to payments for a refund.
    refund_requested_at = models.DateTimeField(_("reembolso solicitado"), null=True, blank=True)
    refund_reason = models.CharField(_("motivo del reembolso"), max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("pedido")
        verbose_name_plural = _("pedidos")
        ordering = ("-created_at", "-pk")
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    total_cents=models.F("subtotal_cents") + models.F("delivery_fee_cents")
                ),
                name="shop_order_total_consistent",
            ),
            models.CheckConstraint(condition=Q(subtotal_cents__gte=0), name="shop_order_sub_gte_0"),
        ]
        indexes = [models.Index(fields=["status", "expires_at"])]

    def __str__(self) -> str:
        return f"Pedido {self.code}"

    @property
    def code(self) -> str:
        """Short human reference for messages and the counter."""
        return order_code(self.public_id)

    @property
    def refund_requested(self) -> bool:
        return self.refund_requested_at is not None


def order_code(public_id: uuid.UUID) -> str:
    """An order's short human reference (``Order.code``) from its public id."""
    return str(public_id)[:8].upper()


class OrderLine(models.Model):
    """A snapshot of what was bought and at which price (catalog edits never change it)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    sku = models.CharField("SKU", max_length=64)
    name = models.CharField(_("nombre"), max_length=200)
    unit_price_cents = models.BigIntegerField(_("precio unitario (centavos)"))
    quantity = models.PositiveIntegerField(_("cantidad"))
    line_total_cents = models.BigIntegerField(_("total línea (centavos)"))

    class Meta:
        verbose_name = _("línea de pedido")
        verbose_name_plural = _("líneas de pedido")
        ordering = ("pk",)
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="shop_line_qty_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.name}"


class OrderStatusChange(models.Model):
    """History of an order's states: who moved it, when and why."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=20, choices=OrderStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=OrderStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("cambio de estado")
        verbose_name_plural = _("cambios de estado")
        ordering = ("created_at", "pk")

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"

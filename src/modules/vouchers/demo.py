"""Demo data: the voucher policy and one package (idempotent)."""

from __future__ import annotations

from typing import Any


def seed(stdout: Any) -> None:
    from modules.vouchers.models import Package, PackageService
    from modules.vouchers.selectors import policy

    rules = policy()
    if not rules.denominations_cents:
        rules.denominations_cents = [5_000_000, 10_000_000, 20_000_000]
        rules.save(update_fields=["denominations_cents"])
    package, _ = Package.objects.get_or_create(
        code="5-masajes",
        defaults={
            "name": "5 masajes por el precio de 4",
            "description": "Cinco sesiones de masaje relajante de 60 minutos.",
            "sessions": 5,
            "price_cents": 4 * 18_000_000,
        },
    )
    PackageService.objects.get_or_create(package=package, service_code="MASAJE-RELAX-60")
    stdout.write(f"vouchers: package {package.code} ({package.price_cents} COP cents)\n")

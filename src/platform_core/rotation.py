"""Re-encrypt every encrypted column under the primary Fernet key, in resumable batches.

Procedure: put the new key FIRST in FERNET_KEYS (keep the old ones after it), deploy,
run ``manage.py rotate_encryption_keys``, then remove the old keys. Each batch is one
transaction (rows locked); a checkpoint per model and primary key records the last
primary key done, so an interrupted run continues where it stopped. Tokens already
under the primary key are left alone, so re-running is harmless.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.apps import apps
from django.db import models, transaction
from django.db.models.functions import Cast

from platform_core.crypto import encrypted_fields, is_current, primary_key_fingerprint, rotate_token


@dataclass
class RotationReport:
    model: str
    rows_seen: int = 0
    values_rotated: int = 0


def encrypted_models() -> list[tuple[type[models.Model], list[models.Field]]]:
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        fields = encrypted_fields(model)
        if fields:
            found.append((model, fields))
    return found


def rotate_model(
    model: type[models.Model],
    fields: Iterable[models.Field],
    *,
    batch_size: int = 500,
    max_batches: int | None = None,
    restart: bool = False,
    progress: Callable[[str], None] | None = None,
) -> RotationReport:
    from platform_core.models import KeyRotationCheckpoint

    fields = list(fields)
    label = model._meta.label
    report = RotationReport(model=label)
    checkpoint, _ = KeyRotationCheckpoint.objects.get_or_create(
        model_label=label, key_fingerprint=primary_key_fingerprint()
    )
    if restart:
        checkpoint.last_pk, checkpoint.done, checkpoint.rotated = "", False, 0
        checkpoint.save()
    if checkpoint.done:
        return report
    pk = model._meta.pk
    # Read the raw tokens (Cast skips the field's decryption).
    raw = {f"_raw_{f.attname}": Cast(f.column, models.TextField()) for f in fields}
    batches = 0
    while max_batches is None or batches < max_batches:
        with transaction.atomic():
            qs = model._base_manager.select_for_update().order_by(pk.attname)
            if checkpoint.last_pk:
                qs = qs.filter(**{f"{pk.attname}__gt": pk.to_python(checkpoint.last_pk)})
            rows = list(qs.annotate(**raw).values(pk.attname, *raw)[:batch_size])
            if not rows:
                checkpoint.done = True
                checkpoint.save(update_fields=["done", "updated_at"])
                break
            for row in rows:
                changes = {}
                for f in fields:
                    token = row[f"_raw_{f.attname}"]
                    if token and not is_current(token):
                        changes[f.column] = rotate_token(token)
                if changes:
                    _write_raw(model, row[pk.attname], changes)
                    report.values_rotated += len(changes)
            report.rows_seen += len(rows)
            checkpoint.last_pk = str(rows[-1][pk.attname])
            checkpoint.save(update_fields=["last_pk", "updated_at"])
        batches += 1
        if progress:
            progress(f"{label}: {report.rows_seen} rows, {report.values_rotated} values rotated")
    KeyRotationCheckpoint.objects.filter(pk=checkpoint.pk).update(
        rotated=models.F("rotated") + report.values_rotated
    )
    return report


def _write_raw(model: type[models.Model], pk_value: object, changes: dict[str, str]) -> None:
    """UPDATE the tokens as they are (no second encryption through the field)."""
    from django.db import connections, router

    using = router.db_for_write(model)
    connection = connections[using]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    sets = ", ".join(f"{quote(column)} = %s" for column in changes)
    pk_column = quote(model._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {sets} WHERE {pk_column} = %s",  # noqa: S608 - quoted identifiers
            [*changes.values(), model._meta.pk.get_db_prep_value(pk_value, connection)],
        )


def rotate_all(
    *,
    batch_size: int = 500,
    max_batches: int | None = None,
    restart: bool = False,
    progress: Callable[[str], None] | None = None,
) -> list[RotationReport]:
    return [
        rotate_model(
            model,
            fields,
            batch_size=batch_size,
            max_batches=max_batches,
            restart=restart,
            progress=progress,
        )
        for model, fields in encrypted_models()
    ]

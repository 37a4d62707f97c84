"""Membership adopts payments' VIP tables (issue 16), without copying a row.

1. State only: membership.VipPlan / VipSubscription / VipCharge are declared on the
   existing tables ``payments_vip*`` (nothing in the database changes; the encrypted
   ``vip_payment_token`` is not touched, so no key is needed to migrate).
2. New tables: ``VipChargeAttempt`` (a charge's payment attempts by reference: the link
   that was the foreign key ``payments_payment.vip_charge_id``) and ``VipMonthPurchase``
   (one-month checkouts applied, so a redelivered outcome does not extend twice).
3. Data: both are filled from payments' rows as they are at payments 0007, before
   payments 0008 drops the column (``run_before``). Reversible: backwards, the column is
   filled again from the links.
4. The three content types move to membership's label (permissions, admin log).

0002 then renames the tables to membership's names.
"""

import django.db.models.deletion
import platform_core.crypto
import uuid
from django.conf import settings
from django.db import migrations, models

VIP_PURPOSE = "payments.vip"
UNSENT_PREFIX = "no enviado a Wompi"  # what membership writes on an attempt never sent


def _attempt_outcome(payment, refunded: set[int]) -> str:
    if payment.status == "PENDING":
        return ""
    if payment.status == "APPROVED":
        return "refunded" if payment.pk in refunded else "paid"
    if payment.status == "ERROR" and payment.status_message.startswith(UNSENT_PREFIX):
        return "abandoned"
    return "failed"


def copy_links(apps, schema_editor):
    Payment = apps.get_model("payments", "Payment")
    Refund = apps.get_model("payments", "Refund")
    Attempt = apps.get_model("membership", "VipChargeAttempt")
    Purchase = apps.get_model("membership", "VipMonthPurchase")
    vip = Payment.objects.filter(purpose=VIP_PURPOSE)
    refunded = set(
        Refund.objects.filter(payment__purpose=VIP_PURPOSE, extra_transaction=False)
        .exclude(status="rejected")
        .values_list("payment_id", flat=True)
    )
    Attempt.objects.bulk_create(
        [
            Attempt(
                charge_id=p.vip_charge_id,
                payment_reference=p.reference,
                outcome=_attempt_outcome(p, refunded),
            )
            for p in vip.filter(vip_charge__isnull=False).order_by("created_at", "id")
        ],
        batch_size=1000,
    )
    Purchase.objects.bulk_create(
        [
            Purchase(payment_reference=p.reference, user_id=p.user_id, until=None)
            for p in vip.filter(
                vip_charge__isnull=True, status="APPROVED", user__isnull=False
            ).order_by("created_at", "id")
        ],
        batch_size=1000,
    )


MOVED = ("vipplan", "vipsubscription", "vipcharge")


def _relabel(apps, old: str, new: str) -> None:
    """Content types follow the models, so staff permissions granted on them and admin log
    entries stay attached (Django does not do this for a model that changes app)."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    taken = set(ContentType.objects.filter(app_label=new).values_list("model", flat=True))
    ContentType.objects.filter(app_label=old, model__in=set(MOVED) - taken).update(
        app_label=new
    )


def relabel_forwards(apps, schema_editor):
    _relabel(apps, "payments", "membership")


def relabel_backwards(apps, schema_editor):
    _relabel(apps, "membership", "payments")


def restore_links(apps, schema_editor):
    Payment = apps.get_model("payments", "Payment")
    Attempt = apps.get_model("membership", "VipChargeAttempt")
    for reference, charge_id in Attempt.objects.values_list("payment_reference", "charge_id"):
        Payment.objects.filter(reference=reference).update(vip_charge_id=charge_id)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("payments", "0007_backfill_outcomes"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]
    # Payments drops its column only after the links are copied (payments names nobody).
    run_before = [("payments", "0008_vip_moved_to_membership")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='VipPlan',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.SlugField(max_length=40, unique=True, verbose_name='código')),
                        ('name', models.CharField(max_length=120, verbose_name='nombre')),
                        ('description', models.TextField(blank=True, verbose_name='descripción')),
                        ('price_cents', models.BigIntegerField(verbose_name='precio mensual (centavos)')),
                        ('currency', models.CharField(default='COP', max_length=3)),
                        ('is_active', models.BooleanField(default=True, verbose_name='activo')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                    ],
                    options={
                        'verbose_name': 'plan VIP',
                        'verbose_name_plural': 'planes VIP',
                        'ordering': ('price_cents',),
                        'db_table': 'payments_vipplan',
                        'constraints': [models.CheckConstraint(condition=models.Q(('price_cents__gt', 0)), name='payments_vipplan_price_positive')],
                    },
                ),
                migrations.CreateModel(
                    name='VipSubscription',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('public_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ('status', models.CharField(choices=[('pending', 'Pendiente del primer cobro'), ('active', 'Activa'), ('past_due', 'En mora (reintentando)'), ('canceled', 'Cancelada'), ('lapsed', 'Vencida por falta de pago'), ('failed', 'Primer cobro fallido')], default='pending', max_length=10)),
                        ('vip_payment_token', platform_core.crypto.EncryptedTextField(blank=True, default='')),
                        ('payment_source_status', models.CharField(blank=True, max_length=20)),
                        ('card_brand', models.CharField(blank=True, max_length=20)),
                        ('card_last_four', models.CharField(blank=True, max_length=4)),
                        ('customer_email', models.EmailField(blank=True, max_length=254)),
                        ('acceptance_token', models.TextField(blank=True)),
                        ('acceptance_permalink', models.URLField(blank=True, max_length=500)),
                        ('personal_data_token', models.TextField(blank=True)),
                        ('personal_data_permalink', models.URLField(blank=True, max_length=500)),
                        ('accepted_at', models.DateTimeField(blank=True, null=True)),
                        ('current_period_start', models.DateTimeField(blank=True, null=True)),
                        ('current_period_end', models.DateTimeField(blank=True, null=True)),
                        ('cancel_at_period_end', models.BooleanField(default=False)),
                        ('canceled_at', models.DateTimeField(blank=True, null=True)),
                        ('failed_attempts', models.PositiveSmallIntegerField(default=0)),
                        ('past_due_since', models.DateTimeField(blank=True, null=True)),
                        ('next_retry_at', models.DateTimeField(blank=True, null=True)),
                        ('lapsed_at', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('plan', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='subscriptions', to='membership.vipplan')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='vip_subscriptions', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'suscripción VIP',
                        'verbose_name_plural': 'suscripciones VIP',
                        'ordering': ('-created_at',),
                        'db_table': 'payments_vipsubscription',
                        'constraints': [models.UniqueConstraint(condition=models.Q(('status__in', ['pending', 'active', 'past_due'])), fields=('user',), name='payments_one_live_vip_subscription_per_user')],
                    },
                ),
                migrations.CreateModel(
                    name='VipCharge',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('period_start', models.DateTimeField()),
                        ('period_end', models.DateTimeField()),
                        ('amount_cents', models.BigIntegerField()),
                        ('attempts', models.PositiveSmallIntegerField(default=0)),
                        ('paid', models.BooleanField(default=False)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('subscription', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='charges', to='membership.vipsubscription')),
                    ],
                    options={
                        'verbose_name': 'cobro VIP',
                        'verbose_name_plural': 'cobros VIP',
                        'ordering': ('-period_start',),
                        'db_table': 'payments_vipcharge',
                        'constraints': [models.UniqueConstraint(fields=('subscription', 'period_start'), name='payments_one_vip_charge_per_period')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.CreateModel(
            name='VipChargeAttempt',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('payment_reference', models.CharField(max_length=64, unique=True, verbose_name='referencia del pago')),
                ('outcome', models.CharField(blank=True, choices=[('', 'En curso'), ('paid', 'Pagó el periodo'), ('refunded', 'Reembolsado (no aplicable)'), ('failed', 'Fallido (cobranza)'), ('abandoned', 'No enviado a Wompi')], default='', max_length=10)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('charge', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='attempt_links', to='membership.vipcharge')),
            ],
            options={
                'verbose_name': 'intento de cobro VIP',
                'verbose_name_plural': 'intentos de cobro VIP',
                'ordering': ('created_at', 'id'),
            },
        ),
        migrations.CreateModel(
            name='VipMonthPurchase',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('payment_reference', models.CharField(max_length=64, unique=True, verbose_name='referencia del pago')),
                ('until', models.DateTimeField(blank=True, null=True, verbose_name='VIP hasta')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='vip_month_purchases', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'mes VIP comprado',
                'verbose_name_plural': 'meses VIP comprados',
                'ordering': ('-created_at',),
            },
        ),
        migrations.RunPython(copy_links, restore_links),
        migrations.RunPython(relabel_forwards, relabel_backwards),
    ]

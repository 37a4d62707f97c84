from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('payments', '0002_desk_payments'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='refund',
            name='attempted_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='refund',
            name='extra_transaction',
            field=models.BooleanField(default=False, verbose_name='cobro adicional de la referencia'),
        ),
        migrations.AddField(
            model_name='refund',
            name='transaction_id',
            field=models.CharField(blank=True, max_length=64, verbose_name='transacción Wompi'),
        ),
        migrations.AlterField(
            model_name='refund',
            name='status',
            field=models.CharField(choices=[('requested', 'Solicitado (anulando en Wompi)'), ('voided', 'Anulado en Wompi'), ('pending_manual', 'Pendiente (reembolso manual)'), ('completed', 'Reembolsado manualmente'), ('rejected', 'Rechazado')], max_length=20),
        ),
        migrations.AlterField(
            model_name='webhookevent',
            name='outcome',
            field=models.CharField(choices=[('received', 'Recibido'), ('applied', 'Aplicado'), ('noop', 'Sin cambios'), ('flagged', 'Marcado para revisión'), ('ignored', 'Ignorado'), ('unknown_reference', 'Referencia desconocida'), ('refunded', 'Reembolsado (cobro adicional)')], default='received', max_length=20),
        ),
    ]

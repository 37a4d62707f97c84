from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("payments", "0004_identify_webhook_events")]

    operations = [
        migrations.AddConstraint(
            model_name='refund',
            constraint=models.UniqueConstraint(condition=models.Q(('extra_transaction', True)), fields=('payment', 'transaction_id'), name='payments_refund_one_per_extra_transaction'),
        ),
    ]

"""VIP membership left payments (issue 16): modules/membership adopted the tables
``payments_vip*`` with their rows (membership 0001, which runs before this one and
copies each attempt's link from ``vip_charge_id``). Here payments forgets the models
(state only: the tables are membership's now) and drops its foreign key to them: money
knows no purpose."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("payments", "0007_backfill_outcomes"),
    ]

    operations = [
        migrations.RemoveField(model_name="payment", name="vip_charge"),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="VipCharge"),
                migrations.DeleteModel(name="VipSubscription"),
                migrations.DeleteModel(name="VipPlan"),
            ],
            database_operations=[],
        ),
    ]

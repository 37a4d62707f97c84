"""The adopted tables take membership's names (payments_vip* -> membership_vip*). A
rename keeps every row, key, constraint and sequence (PostgreSQL follows foreign keys by
table identity). It runs after payments 0008 dropped ``payments_payment.vip_charge_id``,
so no other app's table still points at them."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("membership", "0001_adopt_vip_tables"),
        ("payments", "0008_vip_moved_to_membership"),
    ]

    operations = [
        migrations.AlterModelTable(name="vipplan", table=None),
        migrations.AlterModelTable(name="vipsubscription", table=None),
        migrations.AlterModelTable(name="vipcharge", table=None),
    ]

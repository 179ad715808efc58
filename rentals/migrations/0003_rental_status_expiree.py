"""Rental status `expiree`: a request staff did not confirm within RENTAL_HOLD_HOURS.

The exclusion constraint of 0002 only covers en_attente, confirmee and en_cours, so an
expired rental frees its dates without touching the constraint.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('rentals', '0002_rental_no_overlap'),
    ]

    operations = [
        migrations.AlterField(
            model_name='rental',
            name='status',
            field=models.CharField(choices=[('en_attente', 'Reçue'), ('confirmee', 'Confirmée'), ('en_cours', 'En cours'), ('terminee', 'Terminée'), ('annulee', 'Annulée'), ('expiree', 'Expirée')], default='en_attente', max_length=20, verbose_name='statut'),
        ),
    ]

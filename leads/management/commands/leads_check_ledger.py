"""manage.py leads_check_ledger: every deposit's and influencer's figures against the
sums of their ledger rows. Exits 1 on any difference (for cron or a deploy check)."""

from django.core.management.base import BaseCommand, CommandError

from leads.ledger import mismatched_deposits, mismatched_influencers


class Command(BaseCommand):
    help = "Vérifie que chaque dépôt et chaque solde d'influenceur égale la somme de ses écritures."

    def handle(self, *args, **options):
        problems = [
            f"deposit of {d.merchant} (merchant {d.merchant_id}): balance {d.balance} / reserved {d.reserved}, "
            f"ledger {d.ledger_balance} / {d.ledger_reserved}"
            for d in mismatched_deposits()
        ] + [
            f"earnings of {i} (influencer {i.pk}): {i.earnings}, ledger {i.ledger_earnings}"
            for i in mismatched_influencers()
        ]
        for line in problems:
            self.stderr.write(line)
        if problems:
            raise CommandError(f"{len(problems)} mismatch(es) between the figures and the ledger.", returncode=1)
        self.stdout.write(self.style.SUCCESS("Ledger OK: every deposit and earnings balance equals its ledger."))

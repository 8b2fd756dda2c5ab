"""Every write of the emaillogs app."""

from customers.ledger import Provenance
from customers.models import Customer

from .models import EmailLog


def email_logs_erase_of(customer: Customer, provenance: Provenance) -> int:
    """Erasure hook (customers.services.register_eraser): the customer's logs lose who they went to.

    Runs inside customer_erase's transaction. The logs stay (status, email, time) for delivery
    statistics; recipient address and name go.
    """
    return EmailLog.objects.filter(customer=customer).update(
        recipient_address="", recipient_name=""
    )

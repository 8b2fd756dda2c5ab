"""The customer page's answer to "may we send marketing now?", from the decision selector itself.

The same weighing as `POST /consent/v1/decisions`, for both channels with no topic, programme or
department named: every reason that blocks, or "allowed".
"""

from customers.admin_display import SummaryRow, attach_customer_summary

from .selectors import CHANNELS, Recipient, decisions_for


def _may_we_send_now(customer) -> list[SummaryRow]:
    rows = []
    for channel in CHANNELS:
        (decision,) = decisions_for(
            organisation=customer.organisation_id,
            channel=channel,
            recipients=[Recipient("contactId", customer.pk)],
        )
        reasons = "; ".join(
            f"{reason.code} ({reason.detail})" if reason.detail else reason.code
            for reason in decision.reasons
        )
        rows.append(
            SummaryRow(
                section="May we send marketing now?",
                item=channel.upper() if channel == "sms" else channel.capitalize(),
                state="allowed" if decision.allowed else f"no: {reasons}",
                blocks=not decision.allowed,
            )
        )
    return rows


attach_customer_summary(_may_we_send_now, first=True)

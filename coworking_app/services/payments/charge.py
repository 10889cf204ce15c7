"""What a payment asks the payer for, whatever it pays: a booking (payments.booking_charge)
or a company's invoice (finance/settlement.invoice_charge). The providers read only this:
the description on their page, where the payer comes back, the metadata that ties their
object to our row, and the 54-FZ receipt's lines."""

from __future__ import annotations

from dataclasses import dataclass

RECEIPT_ITEMS_MAX = 100  # YooKassa's limit on a receipt's lines


@dataclass(frozen=True)
class ReceiptItem:
    text: str
    minor: int  # > 0
    vat_rate_bp: int


@dataclass(frozen=True)
class Charge:
    description: str
    email: str  # the payer's: the receipt goes there
    return_path: str  # after paying, e.g. "/cabinet/bookings?paid=12"
    cancel_path: str  # after giving up on the provider's page
    metadata: dict[str, str]  # booking_id or invoice_id, and payment_id
    items: tuple[ReceiptItem, ...]  # adding up to the payment's amount
    refund_text: str  # a refund's description, e.g. "Возврат по брони №12"
    # A membership renewed monthly by the provider itself (a Stripe subscription); other
    # providers take one payment and the next month is asked for again (services/plans/).
    recurring_monthly: bool = False
    # The checkout's total when it pays several payment rows at once (a series' occurrences,
    # each booking its own row); 0: the payment's own amount.
    amount_minor: int = 0

    def total(self, payment) -> int:
        """What the provider's checkout asks for."""
        return self.amount_minor or payment.amount_minor

    def items_for(self, minor: int) -> tuple[ReceiptItem, ...]:
        """The receipt's lines for `minor`: the charge's own when they add up to it (the whole
        payment), otherwise one line of that amount at the first line's VAT rate (a partial
        refund)."""
        if sum(i.minor for i in self.items) == minor and all(i.minor > 0 for i in self.items):
            return self.items
        first = self.items[0]
        return (ReceiptItem(first.text, minor, first.vat_rate_bp),)

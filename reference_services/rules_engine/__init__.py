"""rules-engine: VAT, AIT and purchase-approval rules per tenant, evaluated on request and on workflow events."""

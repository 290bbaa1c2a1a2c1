"""document-generator: renders documents (an invoice with VAT in BDT, Bengali text) with Jinja2 and stores them
through file-storage's HTTP API with the caller's token."""

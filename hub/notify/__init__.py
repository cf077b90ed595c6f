"""Messages to the customer by email and SMS: triggers per tenant, templates per language, quiet hours,
opt-out, one message per trigger and delivery; providers are plugins (entry-point group delivery_hub.notifiers)."""

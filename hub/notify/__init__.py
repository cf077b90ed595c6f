"""Messages to the customer by email and SMS: triggers per tenant, templates per language, quiet hours,
opt-out, one message per trigger and delivery; providers are plugins (entry-point group delivery_hub.notifiers).

triggers.py (which event is which message, pure) · planner.py (events to planned messages) · messages.py (a
message's rows and timeline events) · sending.py, email.py, sms.py (the send, I/O at the edge) · settings.py
(the tenant's block, validated, secrets apart) · templates.py + templates/ (Jinja2, en/de/fr/es) ·
formatting.py, quiet.py (the customer's words and clock, pure) · optout.py, links.py (STOP, signed unsubscribe
links) · route.py (stops ahead on the van's route) · cli.py (`hub notify preview`). The outbox handlers are in
hub/jobs/notify.py, the API in hub/api/notify.py, the unsubscribe page in hub/customer/unsubscribe.py.
"""

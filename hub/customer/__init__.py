"""The customer's pages: the live tracking page behind each delivery's private link (/t/<token>), the choice
after a failed attempt, the embeddable slot picker, and the one-click unsubscribe page of customer emails
(unsubscribe.py). Server-rendered, own assets only (no CDN)."""

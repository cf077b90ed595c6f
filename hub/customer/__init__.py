"""The customer's pages: the live tracking page behind each delivery's private link (/t/<token>), the choice
after a failed attempt, and the embeddable slot picker. Server-rendered, own assets only (no CDN)."""

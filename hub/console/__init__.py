"""The operator's console: server-rendered pages under /console/ (today's deliveries, live map, exceptions,
integrations health, routes) for signed-in operators."""

"""The built-in notifiers: SMS providers as plugins, one folder each, registered under the entry-point group
`delivery_hub.notifiers` in our own pyproject.toml exactly as a third party registers theirs."""

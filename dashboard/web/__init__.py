"""The Dash web app: shell, shared filters, data access for pages, the JSON API."""

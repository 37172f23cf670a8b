"""The product around the loaders: the store, analytics, figures and the Dash pages."""

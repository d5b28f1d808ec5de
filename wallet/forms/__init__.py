"""Flask-WTF forms, one module per area: shape and format checks only, no database."""

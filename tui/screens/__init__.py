"""Screens pushed over the tabs: segment detail, export, help, dialogs, first-run setup."""

"""Paying artists: the Stripe Connect adapter and its errors."""

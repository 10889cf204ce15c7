"""Bookings: availability and seats held, prices, promo codes, the state machine and who may do what (policy), and every change to a booking."""

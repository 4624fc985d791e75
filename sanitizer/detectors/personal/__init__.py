"""Personal data in text: e-mail addresses, phone numbers, US social security numbers, IBANs
and payment card numbers.

Layout: `contact` finds e-mail addresses and phone numbers, `identifiers` US social
security numbers and IBANs, `payment` card numbers; `shapes` holds the byte shapes and
hinted searches they share. Each module lists the choices made where the right answer is
not obvious.
"""

from sanitizer.detectors.personal import contact, identifiers, payment

__all__ = ["DETECTORS"]

DETECTORS = (*contact.DETECTORS, *identifiers.DETECTORS, *payment.DETECTORS)

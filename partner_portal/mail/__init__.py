"""Outgoing email, in two parts that know nothing of each other's job.

* :mod:`.transport` hands a finished message to SMTP (short timeouts, verified
  TLS) or, in development, to the sink the app registered at start (the
  development mailbox): no production module imports the development package.
* :mod:`.content` says what each message says: one context and one template
  folder (``templates/email/<name>/``) per email.

What a message *does* to security state (minting a link, revoking older ones,
killing codes) is neither: it belongs to the link registry (``links.py``),
which composes each link email from the two.
"""

"""Completion of a signed envelope: stamps, certificate of completion, PAdES seal, verification.

The sealed file keeps the sent bytes: revision 1 is byte-for-byte the PDF the signers were sent,
revision 2 adds the visible signature stamps and the certificate of completion, revision 3 is the
PAdES seal over the whole file. Anyone can cut revision 1 out and compare its SHA-256 with the one
printed on the certificate (``verify.first_revision``).

Modules: ``keys`` (sealing key material), ``html_pages`` (safe HTML -> PDF), ``stamping``,
``completion_certificate``, ``seal``, ``verify``, ``completion`` (the three steps in order).
"""

"""undersign: MSP paperwork assembled, e-signed, sealed and filed with a tamper-evident audit trail."""

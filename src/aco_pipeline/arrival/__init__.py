"""Automated arrival: pull deliveries from SFTP and object storage, watch a drop folder, and
run pull + ingest + build unattended. See docs/arrival.md."""

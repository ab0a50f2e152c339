"""S3: idsync as a SCIM 2.0 / 1.1 service provider. IdPs push into the inbox (storage), each accepted
write is provisioned into the targets (provisioning), and the inbox is a Source for reconciliation."""

"""The partner directory: partners, access, invitations, import."""

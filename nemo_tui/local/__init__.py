"""The built-in local backend: the NemoVideo protocol on loopback (optional extra `local`)."""

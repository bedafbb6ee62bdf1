"""HiDream client (see README)."""

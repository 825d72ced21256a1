"""Backups: the whole database to one file and back (`survey backup`, `survey restore`)."""

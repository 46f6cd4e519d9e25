"""Hunting for abused Remote Monitoring & Management tools (MITRE T1219): find, explain, tell."""

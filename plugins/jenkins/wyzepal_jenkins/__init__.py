"""WyzePal bridge for Jenkins: build notifications and chat commands."""

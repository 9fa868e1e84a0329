"""What this installation is: its environment settings, its counties and its users' time zone."""

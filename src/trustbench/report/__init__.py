"""Results files and the terminal summary."""

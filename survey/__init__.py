"""survey: questionnaires and longitudinal monitoring for employment and mental-health work."""

"""Data in and out: CSV import, evaluator exports with a codebook, FHIR resources."""

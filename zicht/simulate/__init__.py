"""Synthetic victims, detections and reports with known truth (issue 3)."""

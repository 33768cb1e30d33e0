"""What field reports and submissions carry in: photos, voice and documents, checked, stored."""

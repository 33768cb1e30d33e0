"""Topic pages read from `content/`, their recorded audio, and the search over them."""

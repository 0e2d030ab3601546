"""Plain words for the console: who did something, as a person reads it."""

from __future__ import annotations

from api.console.wording import who_words


class TestWhoWords:
    def test_stored_actor_labels_read_as_names(self) -> None:
        """A user is their e-mail address, a key is named as a key, scheduled work as undersign's own."""
        assert who_words("user:bea@msp.example(billing)") == "bea@msp.example"
        assert who_words("user:ada@msp.example(admin+billing)") == "ada@msp.example"
        assert who_words("key:alice(sales)") == "API key alice"
        assert who_words("system:undersign") == "undersign (run on the server)"
        assert who_words("someone") == "someone"

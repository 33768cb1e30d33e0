"""The Zalo Official Account channel (OA Open API): see adapter.py for the webhook's way,
tokens.py for OAuth, sender.py for sending and the reply window, webhook.py for signatures."""

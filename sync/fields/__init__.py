"""Keeping linked records in step: address, phone, website (and email) of linked pairs.

- ``values``: one value per side, read, compared and shown;
- ``rules``: which way a value travels (precedence), and the writes for each system;
- ``plan``: every linked pair decided (pure);
- ``apply``: reading the linked records and writing one pair's changes;
- ``handler``: the ``field_updates`` run kind ("Update Linked Records");
- ``views``: the preview page.
"""

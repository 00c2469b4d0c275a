"""Persuasion techniques: the inventory, the token tagger and span classifier backends, and the stage."""

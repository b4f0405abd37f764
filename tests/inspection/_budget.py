"""Budgets the inspection tests share."""

#: Training steps of the reduced dSprites' factor classifier in these tests (the default is
#: ``classifier.DEFAULT_STEPS``): enough for it to learn the easy factors.
CLASSIFIER_STEPS = 600

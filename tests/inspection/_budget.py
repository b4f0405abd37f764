"""Budgets the inspection tests share."""

#: Training steps of the reduced dSprites' factor classifier in these tests (the default is
#: ``classifier.DEFAULT_STEPS``): enough for the positions' held-out accuracy to clear the trust
#: threshold, which is all the tests need of it.
CLASSIFIER_STEPS = 300

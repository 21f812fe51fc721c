"""The logic of each Lambda step, with its input and output models. Handlers in functions/ call these."""

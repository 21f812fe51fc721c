"""IAM in the local cloud: AWS's policy evaluation, what each call asks for, and its enforcement."""

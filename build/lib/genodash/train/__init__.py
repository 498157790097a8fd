"""Training: the one loop, tasks (sequence classification, expression models), metrics, runs."""

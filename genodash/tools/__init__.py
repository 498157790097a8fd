"""Tools that compute: simulations and scores behind the app's lessons."""

"""What every part of the app shares: configuration, and more as the app grows."""

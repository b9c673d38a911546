"""The Building 15 digital twin. It is the building, not the platform: it imports only core."""

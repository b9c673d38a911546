"""The energy app: metering, consumption with data-quality handling, tariffs and tenant bills."""

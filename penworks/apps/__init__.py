"""Smart apps: each one a package that imports only `penworks.apps.api`.

The platform side is `penworks.apps.host` (finds, configures, runs and serves apps),
`penworks.apps.context` (what an app is handed) and `penworks.apps.discovery` (the
`penworks.apps` entry points). This package imports nothing on purpose: an app that imports
`penworks.apps.api` pulls in only what that module re-exports.
"""

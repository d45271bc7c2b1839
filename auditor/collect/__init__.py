"""Collect stage: read a tenant (read-only) into a snapshot (docs/architecture.md, collection).

Modules, one per concern, so each can be read and tested alone:

- ``catalog``   every collection's endpoint, API version, least-privilege permission and licence
- ``auth``      azure-identity credentials for every ``--auth`` mode (secrets only from the environment)
- ``fetching``  shared retries (Retry-After, time budget), paging and error classification
- ``graph``     Microsoft Graph through msgraph-sdk's request pipeline, bodies as raw bytes
- ``exchange``  Exchange Online / Purview cmdlets via the admin API's InvokeCommand
- ``arm``       Azure Resource Manager (Entra diagnostic settings)
- ``mgmtactivity``   Office 365 Management Activity API (feed subscriptions and content listings)
- ``recentactivity`` the newest record of every audit feed (Graph audit logs, Management Activity)
- ``sentinel``       Microsoft Sentinel data connectors of the workspaces Entra logs go to
- ``importer``  collections from PowerShell exports (``auditor import``, ``collect --import``)
- ``progress``  a live table on a terminal, one line per collection in CI
- ``runner``    the run: tenant first, then every source concurrently, then an atomic write

This package never imports ``auditor.policy`` or ``auditor.engine``, and imports msgraph and
azure-identity only inside the functions that collect, so ``auditor audit`` starts fast.
"""

"""Application groups as Microsoft documents them, kept as data with the page they come from.

Conditional access targets some groups of applications by one name (``Office365``,
``MicrosoftAdminPortals``); the model needs their members to judge a requirement on one of them.
"""

from __future__ import annotations

#: Where the application groups below come from: Microsoft Learn, "Apps included in Conditional
#: Access Office 365 app suite" (entra/identity/conditional-access/reference-office-365-application-contents)
#: and "Conditional Access: Target resources", section Microsoft Admin Portals
#: (entra/identity/conditional-access/concept-conditional-access-cloud-apps#microsoft-admin-portals).
APP_GROUPS_SOURCE = {
    "Office365": "https://learn.microsoft.com/entra/identity/conditional-access/reference-office-365-application-contents",
    "MicrosoftAdminPortals": "https://learn.microsoft.com/entra/identity/conditional-access/"
    "concept-conditional-access-cloud-apps#microsoft-admin-portals",
}
#: Applications that the "Office365" group contains, by application id. The group has more
#: members than listed here; they are all one atom, OTHER_OFFICE, which only policies targeting
#: the group (or All) cover.
OFFICE365_APPS = {
    "00000002-0000-0ff1-ce00-000000000000": "Office 365 Exchange Online",
    "00000003-0000-0ff1-ce00-000000000000": "Office 365 SharePoint Online",
    "cc15fd57-2c6c-4117-a88c-83b1d56b4bbe": "Microsoft Teams Services",
    "00000004-0000-0ff1-ce00-000000000000": "Skype for Business Online",
    "00000005-0000-0ff1-ce00-000000000000": "Office 365 Yammer",
    "00000006-0000-0ff1-ce00-000000000000": "Microsoft Office 365 Portal",
    "c9a559d2-7aab-4f13-a6ed-e7e9c52aec87": "Microsoft Forms",
    "cf53fce8-def6-4aeb-8d30-b158e7b1cf83": "Microsoft Stream Portal",
    "09abbdfd-ed23-44ee-a2d9-a627aa1c90f3": "Microsoft Planner (ProjectWorkManagement)",
    "94c63fef-13a3-47bc-8074-75af8c65887a": "Office Delve",
    "905fcf26-4eb7-48a0-9ff0-8dcc7194b5ba": "Sway",
    "475226c6-020e-4fb2-8a90-7a972cbfc1d4": "PowerApps Service",
    "7df0a125-d3be-4c96-aa54-591f83ff541c": "Microsoft Flow Service",
}
#: Portals the "MicrosoftAdminPortals" group targets (interactive sign-ins to them), in words:
#: one atom, covered only by policies targeting the group or All.
ADMIN_PORTAL_NAMES = (
    "Azure portal",
    "Exchange admin center",
    "Microsoft 365 admin center",
    "Microsoft 365 Defender portal",
    "Microsoft Entra admin center",
    "Microsoft Intune admin center",
    "Microsoft Purview compliance portal",
    "Microsoft Teams admin center",
)
WELL_KNOWN_APPS = {
    **OFFICE365_APPS,
    "d4ebce55-015a-49b5-a083-c84d1797ae8c": "Microsoft Intune Enrollment",
    "0000000a-0000-0000-c000-000000000000": "Microsoft Intune",
    "797f4846-ba00-4fd7-ba43-dac1f8f63013": "Windows Azure Service Management API",
    "c44b4083-3bb0-49c1-b47d-974e53cbdf3c": "Azure portal",
    "00000003-0000-0000-c000-000000000000": "Microsoft Graph",
}

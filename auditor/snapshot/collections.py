"""The fixed collection names of a snapshot and the JSON shape of each.

DESIGN section 3 fixes these names; the collector's catalog (``auditor.collect``)
adds endpoints and permissions on top. Shapes live here, not in the collector,
because loading a snapshot must check them without knowing how it was collected.
"""

from __future__ import annotations

from typing import Literal

Shape = Literal["list", "object"]

#: Every known collection and whether the API returns a list or a singleton object.
COLLECTIONS: dict[str, Shape] = {
    "organization": "list",
    "domains": "list",
    "subscribedSkus": "list",
    "users": "list",
    "groups": "list",
    "groupMembers": "object",
    "userRegistrationDetails": "list",
    "conditionalAccessPolicies": "list",
    "namedLocations": "list",
    "authenticationStrengthPolicies": "list",
    "authenticationMethodsPolicy": "object",
    "securityDefaults": "object",
    "authorizationPolicy": "object",
    "adminConsentRequestPolicy": "object",
    "crossTenantAccessPolicyDefault": "object",
    "defaultAppManagementPolicy": "object",
    "roleDefinitions": "list",
    "roleAssignments": "list",
    "roleEligibilitySchedules": "list",
    "roleAssignmentScheduleInstances": "list",
    "roleManagementPolicyAssignments": "list",
    "accessReviews": "list",
    "applications": "list",
    "servicePrincipals": "list",
    "groupSettings": "list",
    "sharepointSettings": "object",
    "secureScores": "list",
    "exchangeAdminAuditLogConfig": "object",
    "exchangeOrganizationConfig": "object",
    "exchangeMailboxAuditBypassAssociations": "list",
    "auditLogRetentionPolicies": "list",
    "entraDiagnosticSettings": "list",
}

#: Statuses a ``sources`` entry may carry; only ``ok`` makes a collection usable.
SOURCE_STATUSES = ("ok", "error", "forbidden", "not_licensed", "not_supported")

"""Microsoft Graph rows (read by the ``graph`` and ``graphMembers`` readers): directory, identity
and access policies, roles, applications, and two collections read in two steps (``fan_out``: PIM
for Groups policies, app management policies with ``appliesTo``)."""

from __future__ import annotations

from auditor.collect.source import (
    GROUP_REFERENCES,
    MEMBER_SELECT,
    P1,
    P2,
    USER_SELECT,
    FanOut,
    Source,
    _g,
)

GRAPH: tuple[Source, ...] = (
    _g("organization", "/organization", "Organization.Read.All"),
    _g("domains", "/domains", "Domain.Read.All"),
    _g("subscribedSkus", "/subscribedSkus", "LicenseAssignment.Read.All"),
    _g(
        "users",
        "/users",
        "User.Read.All",
        "AuditLog.Read.All",
        query=f"$select={USER_SELECT}",
        top=999,
        licence=P1,
        note="signInActivity needs AuditLog.Read.All and Entra ID P1",
    ),
    _g("groups", "/groups", "GroupMember.Read.All", top=999),
    _g(
        "groupMembers",
        "/groups/{id}/transitiveMembers",
        "GroupMember.Read.All",
        query=f"$select={MEMBER_SELECT}",
        top=999,
        after=GROUP_REFERENCES,
        reader="graphMembers",
        note="only the groups that conditional access policies, directory role assignments or "
        "eligibilities, and PIM policies reference; never every group",
    ),
    _g(
        "userRegistrationDetails",
        "/reports/authenticationMethods/userRegistrationDetails",
        "AuditLog.Read.All",
        top=999,
        licence=P1,
    ),
    _g(
        "conditionalAccessPolicies",
        "/identity/conditionalAccess/policies",
        "Policy.Read.All",
        version="beta",
        fallback_version="v1.0",
        licence=P1,
        note="beta, as ScubaGear reads it: the agent identity conditions (agentIdRiskLevels, "
        "clientApplications.includeAgentIdServicePrincipals, agents) exist there only; a service "
        "that refuses beta is read at v1.0 (recorded as versionFallback)",
    ),
    _g("namedLocations", "/identity/conditionalAccess/namedLocations", "Policy.Read.All", licence=P1),
    _g("authenticationStrengthPolicies", "/policies/authenticationStrengthPolicies", "Policy.Read.All"),
    _g(
        "authenticationMethodsPolicy",
        "/policies/authenticationMethodsPolicy",
        "Policy.Read.All",
        version="beta",
        note="beta, as ScubaGear reads it: systemCredentialPreferences and the Authenticator's "
        "numberMatchingRequiredState exist there only; the sources endpoint records the version",
    ),
    _g("securityDefaults", "/policies/identitySecurityDefaultsEnforcementPolicy", "Policy.Read.All"),
    _g("authorizationPolicy", "/policies/authorizationPolicy", "Policy.Read.All"),
    _g("adminConsentRequestPolicy", "/policies/adminConsentRequestPolicy", "Policy.Read.All"),
    _g("crossTenantAccessPolicyDefault", "/policies/crossTenantAccessPolicy/default", "Policy.Read.All"),
    _g("defaultAppManagementPolicy", "/policies/defaultAppManagementPolicy", "Policy.Read.All"),
    _g("roleDefinitions", "/roleManagement/directory/roleDefinitions", "RoleManagement.Read.Directory"),
    _g("roleAssignments", "/roleManagement/directory/roleAssignments", "RoleManagement.Read.Directory"),
    _g(
        "roleEligibilitySchedules",
        "/roleManagement/directory/roleEligibilitySchedules",
        "RoleEligibilitySchedule.Read.Directory",
        licence=P2,
    ),
    _g(
        "roleAssignmentScheduleInstances",
        "/roleManagement/directory/roleAssignmentScheduleInstances",
        "RoleAssignmentSchedule.Read.Directory",
        licence=P2,
    ),
    _g(
        "roleManagementPolicyAssignments",
        "/policies/roleManagementPolicyAssignments",
        "RoleManagementPolicy.Read.Directory",
        query="$filter=scopeId eq '/' and scopeType eq 'DirectoryRole'&$expand=policy($expand=rules)",
        licence=P2,
    ),
    _g(
        "accessReviews",
        "/identityGovernance/accessReviews/definitions",
        "AccessReview.Read.All",
        licence=f"{P2} (or Microsoft Entra ID Governance)",
    ),
    _g("applications", "/applications", "Application.Read.All", top=999),
    _g("servicePrincipals", "/servicePrincipals", "Application.Read.All", top=999),
    _g("groupSettings", "/groupSettings", "GroupSettings.Read.All"),
    _g(
        "sharepointSettings",
        "/admin/sharepoint/settings",
        "SharePointTenantSettings.Read.All",
        licence="SharePoint Online",
    ),
    _g("secureScores", "/security/secureScores", "SecurityEvents.Read.All", top=1, paged=False),
    _g(
        "appManagementPolicies",
        "/policies/appManagementPolicies",
        "Policy.Read.All",
        "Application.Read.All",
        fan_out=FanOut(
            child="/policies/appManagementPolicies/{id}/appliesTo?$select=id,appId,displayName",
            attach="appliesTo",
        ),
        note="appliesTo (the applications and service principals each policy exempts or restricts) "
        "is read per policy and attached as $expand would",
    ),
    _g(
        "groupRoleManagementPolicyAssignments",
        "/policies/roleManagementPolicyAssignments",
        "RoleManagementPolicy.Read.AzureADGroup",
        "GroupMember.Read.All",
        query="$filter=scopeId eq '{id}' and scopeType eq 'Group'&$expand=policy($expand=rules)",
        fan_out=FanOut(child="", parents="/groups?$filter=isAssignableToRole eq true&$select=id"),
        licence=P2,
        note="PIM for Groups settings (member and owner) of every role-assignable group; the policies "
        "judge the groups that hold privileged roles",
    ),
)

"""A generated tenant in Microsoft Graph's own JSON shapes, for the local test server.

Deterministic for a given seed and size, so tests can assert exact counts. The shapes
follow Graph v1.0 responses (users with signInActivity, conditional access policies
with real conditions and grantControls, role definitions with their real template ids),
Exchange ``InvokeCommand`` output and Resource Manager diagnostic settings.
"""

from __future__ import annotations

import base64
import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

TENANT_ID = "7d6f0c1e-4c2b-4f53-9a53-2d8c7b1f0a11"
DOMAIN = "contoso.example"

#: Real Entra built-in role template ids (they are the same in every tenant).
ROLE_TEMPLATES = {
    "Global Administrator": "62e90394-69f5-4237-9190-012177145e10",
    "Privileged Role Administrator": "e8611ab8-c189-46e8-94e1-60213ab1f814",
    "Security Administrator": "194ae4cb-b126-40b2-bd5b-6091b380977d",
    "User Administrator": "fe930be7-5e62-47db-91af-98c3a49a38b1",
    "Exchange Administrator": "29232cdf-9323-42fd-ade2-1d097af3e4de",
    "SharePoint Administrator": "f28a1f50-f6e7-4571-818b-6a12f2af6b6c",
    "Conditional Access Administrator": "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9",
    "Application Administrator": "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
    "Cloud Application Administrator": "158c047a-c907-4556-b7ef-446551a6b5f7",
    "Global Reader": "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
    "Helpdesk Administrator": "729827e3-9c14-49f7-bb1b-9608f156bbb8",
    "Authentication Administrator": "c4e39bd9-1100-46d3-8c65-fb160da0071f",
    "Privileged Authentication Administrator": "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
    "Security Reader": "5d6b6bb7-de71-4623-b4af-96380a352509",
}

BASE_TIME = datetime(2026, 11, 1, 8, 0, 0, tzinfo=UTC)


def _ts(dt: datetime | None) -> str | None:
    return None if dt is None else dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def _uid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def make_users(n: int, rng: random.Random) -> list[dict[str, Any]]:
    users = []
    for i in range(n):
        guest = i % 17 == 5
        upn = f"guest{i}_fabrikam.example#EXT#@{DOMAIN}" if guest else f"user{i}@{DOMAIN}"
        last = BASE_TIME - timedelta(days=rng.randint(0, 200), minutes=rng.randint(0, 1440))
        never = i % 23 == 7
        users.append(
            {
                "id": _uid(rng),
                "userPrincipalName": upn,
                "displayName": f"User {i}",
                "userType": "Guest" if guest else "Member",
                "accountEnabled": i % 31 != 3,
                "onPremisesSyncEnabled": True if i % 3 == 0 else None,
                # synced users have an immutable id; so does a formerly synced, now cloud-managed one
                "onPremisesImmutableId": (
                    base64.b64encode(uuid.UUID(int=i + 1).bytes).decode()
                    if i % 3 == 0 or i % 29 == 4
                    else None
                ),
                "externalUserState": ("Accepted" if i % 2 else "PendingAcceptance") if guest else None,
                "creationType": "Invitation" if guest else None,
                "createdDateTime": _ts(BASE_TIME - timedelta(days=300 + i % 900)),
                "mail": None if guest else upn,
                "jobTitle": None,
                "signInActivity": {
                    "lastSignInDateTime": None if never else _ts(last),
                    "lastSignInRequestId": None if never else _uid(rng),
                    "lastNonInteractiveSignInDateTime": None if never else _ts(last + timedelta(hours=2)),
                    "lastNonInteractiveSignInRequestId": None if never else _uid(rng),
                    "lastSuccessfulSignInDateTime": None if never else _ts(last),
                    "lastSuccessfulSignInRequestId": None if never else _uid(rng),
                },
            }
        )
    return users


def make_registration(users: list[dict[str, Any]], admins: set[str]) -> list[dict[str, Any]]:
    out = []
    for i, u in enumerate(users):
        methods = [
            ["microsoftAuthenticatorPush", "softwareOneTimePasscode"],
            ["mobilePhone"],
            [],
            ["fido2", "microsoftAuthenticatorPush"],
            ["windowsHelloForBusiness"],
        ][i % 5]
        out.append(
            {
                "id": u["id"],
                "userPrincipalName": u["userPrincipalName"],
                "userDisplayName": u["displayName"],
                "userType": "guest" if u["userType"] == "Guest" else "member",
                "isAdmin": u["id"] in admins,
                "isSsprRegistered": bool(methods),
                "isSsprEnabled": True,
                "isSsprCapable": bool(methods),
                "isMfaRegistered": bool(methods) and methods != ["mobilePhone"],
                "isMfaCapable": bool(methods),
                "isPasswordlessCapable": "fido2" in methods,
                "methodsRegistered": methods,
                "isSystemPreferredAuthenticationMethodEnabled": True,
                "systemPreferredAuthenticationMethods": methods[:1],
                "userPreferredMethodForSecondaryAuthentication": (methods[0] if methods else "none"),
                "lastUpdatedDateTime": "2026-11-20T03:12:44.5123456Z",
            }
        )
    return out


def _ca(
    name: str,
    state: str,
    users: dict[str, Any],
    apps: dict[str, Any],
    grant: dict[str, Any] | None,
    client_types: list[str],
    rng: random.Random,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "id": _uid(rng),
        "templateId": None,
        "displayName": name,
        "createdDateTime": "2025-02-11T10:21:08.1234567Z",
        "modifiedDateTime": None,
        "state": state,
        "sessionControls": extra.pop("sessionControls", None),
        "conditions": {
            "userRiskLevels": [],
            "signInRiskLevels": extra.pop("signInRiskLevels", []),
            "clientAppTypes": client_types,
            "servicePrincipalRiskLevels": [],
            "insiderRiskLevels": None,
            "platforms": None,
            "locations": extra.pop("locations", None),
            "devices": None,
            "clientApplications": None,
            "authenticationFlows": None,
            "applications": {
                "includeApplications": [],
                "excludeApplications": [],
                "includeUserActions": [],
                "includeAuthenticationContextClassReferences": [],
                "applicationFilter": None,
                **apps,
            },
            "users": {
                "includeUsers": [],
                "excludeUsers": [],
                "includeGroups": [],
                "excludeGroups": [],
                "includeRoles": [],
                "excludeRoles": [],
                "includeGuestsOrExternalUsers": None,
                "excludeGuestsOrExternalUsers": None,
                **users,
            },
        },
        "grantControls": grant,
    }


def _member(obj: dict[str, Any], kind: str) -> dict[str, Any]:
    """A transitiveMembers entry as Graph returns it with ``$select=id,userPrincipalName,displayName``."""
    out = {"@odata.type": f"#microsoft.graph.{kind}", "id": obj["id"]}
    if kind == "user":
        out["userPrincipalName"] = obj["userPrincipalName"]
    out["displayName"] = obj["displayName"]
    return out


def make_members(
    users: list[dict[str, Any]], groups: list[dict[str, Any]], sps: list[dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    """Transitive members of the referenced groups (group 1 nests group 5; group 2 holds an app)."""
    pick = [users[i % len(users)] for i in range(10, 18)]
    nested = [_member(pick[5], "user")]
    return {
        groups[0]["id"]: [_member(u, "user") for u in pick[:3]],
        groups[1]["id"]: [_member(u, "user") for u in pick[3:5]] + [_member(groups[5], "group"), *nested],
        groups[2]["id"]: [_member(u, "user") for u in pick[6:8]] + [_member(sps[0], "servicePrincipal")],
        groups[3]["id"]: [_member(u, "user") for u in users[1:3]],
        groups[5]["id"]: nested,
    }


def make_tenant(users: int = 50, seed: int = 7) -> dict[str, Any]:
    """Every collection of the snapshot, keyed by collection name."""
    rng = random.Random(seed)
    user_list = make_users(users, rng)
    role_defs = [
        {
            "id": tid,
            "templateId": tid,
            "displayName": name,
            "description": f"Built-in role {name}.",
            "isBuiltIn": True,
            "isEnabled": True,
            "resourceScopes": ["/"],
            "version": "1",
            "inheritsPermissionsFrom": [],
            "rolePermissions": [
                {"allowedResourceActions": ["microsoft.directory/users/standard/read"], "condition": None}
            ],
        }
        for name, tid in ROLE_TEMPLATES.items()
    ]
    admins = [u["id"] for u in user_list[: max(1, min(6, users))]]
    ga = ROLE_TEMPLATES["Global Administrator"]
    assignments = [
        {
            "id": _uid(rng),
            "principalId": uid,
            "roleDefinitionId": ga if i < 3 else ROLE_TEMPLATES["Security Administrator"],
            "directoryScopeId": "/",
        }
        for i, uid in enumerate(admins)
    ]
    # groups come from their own generator so that adding them left every other id unchanged
    grng = random.Random(seed + 1)
    groups = [
        {
            "id": _uid(grng),
            "displayName": name,
            "securityEnabled": True,
            "mailEnabled": False,
            "groupTypes": [],
            "isAssignableToRole": i < 2,
            "visibility": None,
        }
        for i, name in enumerate(
            [
                "Global admins (role-assignable)",
                "Security admins, eligible (role-assignable)",
                "Legacy auth exclusions",
                "PIM approvers",
                "Group 4",
                "Nested helpdesk",
                "Group 6",
                "Group 7",
            ]
        )
    ]
    gid = [g["id"] for g in groups]
    deleted_group = _uid(grng)  # named by a CA policy, no longer in the directory (404)
    sp_ids = [_uid(grng) for _ in range(12)]
    assignments.append(
        {"id": _uid(grng), "principalId": gid[0], "roleDefinitionId": ga, "directoryScopeId": "/"}
    )
    breakglass = admins[0]
    ca = [
        _ca(
            "Block legacy authentication",
            "enabled",
            {"includeUsers": ["All"], "excludeUsers": [breakglass], "excludeGroups": [gid[2]]},
            {"includeApplications": ["All"]},
            {
                "operator": "OR",
                "builtInControls": ["block"],
                "customAuthenticationFactors": [],
                "termsOfUse": [],
                "authenticationStrength": None,
            },
            ["exchangeActiveSync", "other"],
            rng,
        ),
        _ca(
            "Require MFA for admins",
            "enabled",
            {"includeRoles": [ga, ROLE_TEMPLATES["Security Administrator"]], "excludeUsers": [breakglass]},
            {"includeApplications": ["All"]},
            {
                "operator": "OR",
                "builtInControls": [],
                "customAuthenticationFactors": [],
                "termsOfUse": [],
                "authenticationStrength": {
                    "id": "00000000-0000-0000-0000-000000000004",
                    "displayName": "Phishing-resistant MFA",
                    "allowedCombinations": ["windowsHelloForBusiness", "fido2", "x509CertificateMultiFactor"],
                },
            },
            ["all"],
            rng,
        ),
        _ca(
            "Require MFA for risky sign-ins",
            "enabledForReportingButNotEnforced",
            {"includeUsers": ["All"], "excludeGroups": [deleted_group]},
            {"includeApplications": ["All"]},
            {
                "operator": "OR",
                "builtInControls": ["mfa"],
                "customAuthenticationFactors": [],
                "termsOfUse": [],
                "authenticationStrength": None,
            },
            ["all"],
            rng,
            signInRiskLevels=["high", "medium"],
            sessionControls={
                "signInFrequency": {
                    "value": None,
                    "type": None,
                    "authenticationType": "primaryAndSecondaryAuthentication",
                    "frequencyInterval": "everyTime",
                    "isEnabled": True,
                },
                "applicationEnforcedRestrictions": None,
                "cloudAppSecurity": None,
                "persistentBrowser": None,
                "disableResilienceDefaults": None,
            },
        ),
    ]
    sp: list[dict[str, Any]] = [
        {
            "id": sp_ids[i],
            "appId": _uid(rng),
            "displayName": f"App {i}",
            "servicePrincipalType": "Application",
            "accountEnabled": True,
            "appOwnerOrganizationId": TENANT_ID if i % 2 else None,
            "keyCredentials": [],
            "passwordCredentials": [],
            "appRoleAssignmentRequired": i % 3 == 0,
        }
        for i in range(12)
    ]
    apps = [
        {
            "id": _uid(rng),
            "appId": s["appId"],
            "displayName": s["displayName"],
            "signInAudience": "AzureADMyOrg",
            "createdDateTime": "2024-05-01T09:00:00Z",
            "passwordCredentials": [
                {
                    "keyId": _uid(rng),
                    "displayName": "ci",
                    "endDateTime": "2027-05-01T09:00:00Z",
                    "startDateTime": "2025-05-01T09:00:00Z",
                    "hint": "abc",
                    "secretText": None,
                }
            ]
            if i % 2
            else [],
            "keyCredentials": [],
            "requiredResourceAccess": [],
        }
        for i, s in enumerate(sp[:6])
    ]
    data: dict[str, Any] = {
        "organization": [
            {
                "id": TENANT_ID,
                "displayName": "Contoso Test",
                "tenantType": "AAD",
                "countryLetterCode": "US",
                "createdDateTime": "2019-03-04T10:00:00Z",
                "onPremisesSyncEnabled": True,
                "verifiedDomains": [
                    {
                        "name": "contoso.onmicrosoft.example",
                        "type": "Managed",
                        "isDefault": False,
                        "isInitial": True,
                        "capabilities": "Email, OfficeCommunicationsOnline",
                    },
                    {
                        "name": DOMAIN,
                        "type": "Managed",
                        "isDefault": True,
                        "isInitial": False,
                        "capabilities": "Email",
                    },
                ],
                "assignedPlans": [],
                "securityComplianceNotificationMails": [],
                "technicalNotificationMails": [],
            }
        ],
        "domains": [
            {
                "id": DOMAIN,
                "authenticationType": "Managed",
                "isDefault": True,
                "isVerified": True,
                "passwordValidityPeriodInDays": 2147483647,
                "passwordNotificationWindowInDays": 14,
                "supportedServices": ["Email"],
            }
        ],
        "subscribedSkus": [
            {
                "id": f"{TENANT_ID}_{_uid(rng)}",
                "skuId": "078d2b04-f1bd-4111-bbd4-b4b1b354cef4",
                "skuPartNumber": "AAD_PREMIUM",
                "capabilityStatus": "Enabled",
                "consumedUnits": users,
                "prepaidUnits": {"enabled": users + 10, "suspended": 0, "warning": 0, "lockedOut": 0},
                "servicePlans": [
                    {
                        "servicePlanId": "41781fb2-bc02-4b7c-bd55-b576c07bb09d",
                        "servicePlanName": "AAD_PREMIUM",
                        "provisioningStatus": "Success",
                        "appliesTo": "User",
                    }
                ],
            }
        ],
        "users": user_list,
        "groups": groups,
        "groupMembers": make_members(user_list, groups, sp),
        "userRegistrationDetails": make_registration(user_list, set(admins)),
        "conditionalAccessPolicies": ca,
        "namedLocations": [
            {
                "@odata.type": "#microsoft.graph.ipNamedLocation",
                "id": _uid(rng),
                "displayName": "HQ",
                "isTrusted": True,
                "createdDateTime": "2024-01-01T00:00:00Z",
                "modifiedDateTime": "2024-01-01T00:00:00Z",
                "ipRanges": [
                    {"@odata.type": "#microsoft.graph.iPv4CidrRange", "cidrAddress": "203.0.113.0/24"}
                ],
            }
        ],
        "authenticationStrengthPolicies": [
            {
                "id": "00000000-0000-0000-0000-000000000004",
                "displayName": "Phishing-resistant MFA",
                "policyType": "builtIn",
                "requirementsSatisfied": "mfa",
                "allowedCombinations": ["windowsHelloForBusiness", "fido2"],
            }
        ],
        "authenticationMethodsPolicy": {
            "id": "authenticationMethodsPolicy",
            "displayName": "Authentication Methods Policy",
            "policyMigrationState": "migrationComplete",
            "policyVersion": "1.5",
            "systemCredentialPreferences": {
                "state": "enabled",
                "excludeTargets": [],
                "includeTargets": [{"id": "all_users", "targetType": "group"}],
            },
            "registrationEnforcement": {
                "authenticationMethodsRegistrationCampaign": {
                    "snoozeDurationInDays": 1,
                    "state": "default",
                    "excludeTargets": [],
                    "includeTargets": [
                        {
                            "id": "all_users",
                            "targetType": "group",
                            "targetedAuthenticationMethod": "microsoftAuthenticator",
                        }
                    ],
                }
            },
            "authenticationMethodConfigurations": [
                {
                    "@odata.type": "#microsoft.graph.fido2AuthenticationMethodConfiguration",
                    "id": "Fido2",
                    "state": "enabled",
                    "isAttestationEnforced": True,
                    "isSelfServiceRegistrationAllowed": True,
                },
                {
                    "@odata.type": "#microsoft.graph.smsAuthenticationMethodConfiguration",
                    "id": "Sms",
                    "state": "disabled",
                },
            ],
        },
        "securityDefaults": {
            "id": "00000000-0000-0000-0000-000000000005",
            "isEnabled": False,
            "displayName": "Security Defaults",
            "description": "Security defaults ...",
        },
        "authorizationPolicy": {
            "id": "authorizationPolicy",
            "allowInvitesFrom": "adminsAndGuestInviters",
            "allowedToSignUpEmailBasedSubscriptions": True,
            "allowedToUseSSPR": True,
            "allowEmailVerifiedUsersToJoinOrganization": False,
            "blockMsolPowerShell": None,
            "guestUserRoleId": "10dae51f-b6af-4016-8d66-8c2a99b929b3",
            "defaultUserRolePermissions": {
                "allowedToCreateApps": False,
                "allowedToCreateTenants": False,
                "allowedToReadBitlockerKeysForOwnedDevice": True,
                "allowedToCreateSecurityGroups": False,
                "allowedToReadOtherUsers": True,
                "permissionGrantPoliciesAssigned": [],
            },
        },
        "adminConsentRequestPolicy": {
            "isEnabled": True,
            "notifyReviewers": True,
            "remindersEnabled": True,
            "requestDurationInDays": 30,
            "version": 2,
            "reviewers": [{"query": f"/users/{admins[0]}", "queryType": "MicrosoftGraph", "queryRoot": None}],
        },
        "crossTenantAccessPolicyDefault": {
            "isServiceDefault": True,
            "inboundTrust": None,
            "b2bCollaborationInbound": {
                "usersAndGroups": {
                    "accessType": "allowed",
                    "targets": [{"target": "AllUsers", "targetType": "user"}],
                }
            },
        },
        "defaultAppManagementPolicy": {
            "id": _uid(rng),
            "displayName": "Default app management tenant policy",
            "isEnabled": False,
            "applicationRestrictions": {"passwordCredentials": [], "keyCredentials": []},
            "servicePrincipalRestrictions": {"passwordCredentials": [], "keyCredentials": []},
        },
        "roleDefinitions": role_defs,
        "roleAssignments": assignments,
        "roleEligibilitySchedules": [
            {
                "id": _uid(rng),
                "principalId": uid,
                "roleDefinitionId": ga,
                "directoryScopeId": "/",
                "memberType": "Direct",
                "status": "Provisioned",
                "createdDateTime": "2025-06-01T00:00:00Z",
                "scheduleInfo": {
                    "startDateTime": "2025-06-01T00:00:00Z",
                    "expiration": {"type": "noExpiration", "endDateTime": None, "duration": None},
                },
            }
            for uid in admins[3:]
        ]
        + [
            {
                "id": _uid(grng),
                "principalId": gid[1],
                "roleDefinitionId": ROLE_TEMPLATES["Security Administrator"],
                "directoryScopeId": "/",
                "memberType": "Direct",
                "status": "Provisioned",
                "createdDateTime": "2025-06-01T00:00:00Z",
                "scheduleInfo": {
                    "startDateTime": "2025-06-01T00:00:00Z",
                    "expiration": {"type": "noExpiration", "endDateTime": None, "duration": None},
                },
            }
        ],
        "roleAssignmentScheduleInstances": [
            {
                "id": _uid(rng),
                "principalId": a["principalId"],
                "roleDefinitionId": a["roleDefinitionId"],
                "directoryScopeId": "/",
                "assignmentType": "Assigned",
                "memberType": "Direct",
                "startDateTime": None,
                "endDateTime": None,
            }
            for a in assignments
        ],
        "roleManagementPolicyAssignments": [
            {
                "id": f"Directory_{TENANT_ID}_{_uid(rng)}_{tid}",
                "policyId": f"Directory_{TENANT_ID}_{_uid(rng)}",
                "scopeId": "/",
                "scopeType": "DirectoryRole",
                "roleDefinitionId": tid,
                "policy": {
                    "id": _uid(rng),
                    "displayName": "DirectoryRole",
                    "isOrganizationDefault": False,
                    "rules": [
                        {
                            "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyExpirationRule",
                            "id": "Expiration_EndUser_Assignment",
                            "isExpirationRequired": True,
                            "maximumDuration": "PT8H",
                            "target": {"caller": "EndUser", "operations": ["All"], "level": "Assignment"},
                        },
                        {
                            "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyApprovalRule",
                            "id": "Approval_EndUser_Assignment",
                            "setting": {
                                "isApprovalRequired": tid == ga,
                                "approvalMode": "SingleStage",
                                "approvalStages": [
                                    {
                                        "approvalStageTimeOutInDays": 1,
                                        "isApproverJustificationRequired": True,
                                        "escalationTimeInMinutes": 0,
                                        "isEscalationEnabled": False,
                                        "primaryApprovers": [
                                            {
                                                "@odata.type": "#microsoft.graph.groupMembers",
                                                "isBackup": False,
                                                "id": gid[3],
                                                "description": "PIM approvers",
                                                "groupId": gid[3],
                                            }
                                        ],
                                        "escalationApprovers": [],
                                    }
                                ]
                                if tid == ga
                                else [],
                            },
                        },
                    ],
                },
            }
            for tid in (ga, ROLE_TEMPLATES["Security Administrator"])
        ],
        "accessReviews": [
            {
                "id": _uid(rng),
                "displayName": "Quarterly guest review",
                "status": "InProgress",
                "scope": {
                    "@odata.type": "#microsoft.graph.accessReviewQueryScope",
                    "query": "/users?$filter=(userType eq 'Guest')",
                    "queryType": "MicrosoftGraph",
                },
                "settings": {"recurrence": {"pattern": {"type": "absoluteMonthly", "interval": 3}}},
            }
        ],
        "applications": apps,
        "servicePrincipals": sp,
        "groupSettings": [
            {
                "id": _uid(rng),
                "displayName": "Group.Unified",
                "templateId": "62375ab9-6b52-47ed-826b-58e47e0e304b",
                "values": [
                    {"name": "EnableGroupCreation", "value": "false"},
                    {"name": "AllowGuestsToAccessGroups", "value": "true"},
                ],
            }
        ],
        "sharepointSettings": {
            "sharingCapability": "externalUserAndGuestSharing",
            "isResharingByExternalUsersEnabled": False,
            "sharingDomainRestrictionMode": "none",
            "isLegacyAuthProtocolsEnabled": True,
            "idleSessionSignOut": None,
            "deletedUserPersonalSiteRetentionPeriodInDays": 30,
        },
        "secureScores": [
            {
                "id": f"{TENANT_ID}_2026-11-{d:02d}",
                "azureTenantId": TENANT_ID,
                "currentScore": 40.5 + d,
                "maxScore": 120.0,
                "createdDateTime": f"2026-11-{d:02d}T00:00:00Z",
                "activeUserCount": users,
                "enabledServices": ["exchange"],
                "controlScores": [],
            }
            for d in (22, 21, 20)
        ],
        "exchangeAdminAuditLogConfig": [
            {
                "Identity": "Admin Audit Log Settings",
                "AdminAuditLogEnabled": True,
                "UnifiedAuditLogIngestionEnabled": True,
                "AdminAuditLogAgeLimit": "90.00:00:00",
                "IsValid": True,
            }
        ],
        "exchangeOrganizationConfig": [
            {
                "Identity": "contoso.onmicrosoft.example",
                "AuditDisabled": False,
                "OAuth2ClientProfileEnabled": True,
                "CustomerLockboxEnabled": False,
                "SmtpClientAuthenticationDisabled": True,
            }
        ],
        "exchangeMailboxAuditBypassAssociations": [
            {"Identity": f"svc{i}", "AuditBypassEnabled": i == 0} for i in range(5)
        ],
        "auditLogRetentionPolicies": [
            {
                "Name": "Retain 1 year",
                "RetentionDuration": "OneYear",
                "Priority": 100,
                "RecordTypes": [],
                "Operations": [],
                "UserIds": [],
                "Enabled": True,
            }
        ],
        "entraDiagnosticSettings": [
            {
                "id": "/providers/microsoft.aadiam/diagnosticSettings/to-sentinel",
                "type": None,
                "name": "to-sentinel",
                "properties": {
                    "workspaceId": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/soc/"
                    "providers/Microsoft.OperationalInsights/workspaces/sentinel",
                    "logs": [
                        {"category": c, "enabled": True, "retentionPolicy": {"enabled": False, "days": 0}}
                        for c in ("AuditLogs", "SignInLogs", "NonInteractiveUserSignInLogs")
                    ],
                },
            }
        ],
    }
    data.update(library_collections(data, rng))
    return data


def library_collections(data: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """Exchange, Defender, SharePoint, PIM for Groups and app management data, shaped as the APIs return it."""
    pim_group = next(g["id"] for g in data["groups"] if g["isAssignableToRole"])
    app = data["applications"][0] if data["applications"] else {"id": _uid(rng), "appId": _uid(rng)}
    return {
        "appManagementPolicies": [
            {
                "id": _uid(rng),
                "displayName": "Legacy integration: passwords allowed",
                "description": "Exempts one application from the tenant password restrictions",
                "isEnabled": True,
                "restrictions": {
                    "passwordCredentials": [
                        {
                            "restrictionType": "passwordAddition",
                            "state": "disabled",
                            "maxLifetime": None,
                            "restrictForAppsCreatedAfterDateTime": "0001-01-01T00:00:00Z",
                        }
                    ],
                    "keyCredentials": [],
                },
                "appliesTo": [
                    {
                        "@odata.type": "#microsoft.graph.application",
                        "id": app["id"],
                        "appId": app.get("appId"),
                        "displayName": app.get("displayName", "Legacy integration"),
                    }
                ],
            }
        ],
        "groupRoleManagementPolicyAssignments": [
            {
                "id": f"Group_{pim_group}_{_uid(rng)}_{role}",
                "policyId": f"Group_{pim_group}_{_uid(rng)}",
                "scopeId": pim_group,
                "scopeType": "Group",
                "roleDefinitionId": role,
                "policy": {
                    "id": f"Group_{pim_group}_{role}",
                    "displayName": "Group",
                    "isOrganizationDefault": False,
                    "rules": [
                        {
                            "@odata.type": "#microsoft.graph.unifiedRoleManagementPolicyApprovalRule",
                            "id": "Approval_EndUser_Assignment",
                            "setting": {"isApprovalRequired": False, "approvalMode": "SingleStage"},
                            "target": {"caller": "EndUser", "operations": ["All"], "level": "Assignment"},
                        }
                    ],
                },
            }
            for role in ("member", "owner")
        ],
        "exchangeAcceptedDomains": [
            {"Identity": d, "DomainName": d, "DomainType": "Authoritative", "Default": d == DOMAIN}
            for d in (DOMAIN, "contoso.onmicrosoft.example")
        ],
        "exchangeRemoteDomains": [{"Identity": "Default", "DomainName": "*", "AutoForwardEnabled": False}],
        "exchangeTransportConfig": [
            {"Identity": "Transport Settings", "SmtpClientAuthenticationDisabled": True}
        ],
        "exchangeTransportRules": [],
        "exchangeSharingPolicies": [
            {
                "Identity": "Default Sharing Policy",
                "Domains": ["Anonymous:CalendarSharingFreeBusySimple", "*:CalendarSharingFreeBusySimple"],
                "Enabled": True,
                "Default": True,
            }
        ],
        "exchangeDkimSigningConfigs": [
            {"Identity": DOMAIN, "Domain": DOMAIN, "Enabled": True, "Status": "Valid"}
        ],
        "exchangeOwaMailboxPolicies": [
            {
                "Identity": "OwaMailboxPolicy-Default",
                "AdditionalStorageProvidersAvailable": False,
                "IsDefault": True,
            }
        ],
        "exchangeRoleAssignmentPolicies": [
            {
                "Identity": "Default Role Assignment Policy",
                "IsDefault": True,
                "AssignedRoles": ["MyBaseOptions", "MyContactInformation"],
            }
        ],
        "exchangeExternalInOutlook": [{"Identity": TENANT_ID, "Enabled": True, "AllowList": []}],
        "exchangeHostedOutboundSpamFilterPolicies": [
            {
                "Identity": "Default",
                "IsDefault": True,
                "AutoForwardingMode": "Off",
                "NotifyOutboundSpam": True,
            }
        ],
        "exchangeHostedContentFilterPolicies": [
            {"Identity": "Default", "IsDefault": True, "SpamAction": "MoveToJmf", "AllowedSenderDomains": []}
        ],
        "exchangeHostedConnectionFilterPolicies": [
            {"Identity": "Default", "IsDefault": True, "IPAllowList": [], "EnableSafeList": False}
        ],
        "exchangeMalwareFilterPolicies": [
            {
                "Identity": "Default",
                "IsDefault": True,
                "EnableFileFilter": True,
                "FileTypes": ["exe", "cmd", "vbe"],
            }
        ],
        "exchangeAntiPhishPolicies": [
            {"Identity": "Office365 AntiPhish Default", "IsDefault": True, "Enabled": True}
        ],
        "exchangeSafeLinksPolicies": [],
        "exchangeSafeAttachmentPolicies": [],
        "exchangeAtpPolicyForO365": [{"Identity": "Default", "EnableATPForSPOTeamsODB": True}],
        "exchangeEOPProtectionPolicyRules": [],
        "exchangeATPProtectionPolicyRules": [],
        "exchangeReportSubmissionPolicy": [
            {"Identity": "DefaultReportSubmissionPolicy", "ReportJunkToCustomizedAddress": False}
        ],
        "exchangeAntiPhishRules": [],
        "exchangeMalwareFilterRules": [],
        "exchangeHostedContentFilterRules": [],
        "exchangeSafeLinksRules": [],
        "exchangeSafeAttachmentRules": [],
        "exchangeATPBuiltInProtectionRule": [
            {
                "Identity": "ATP Built-In Protection Rule",
                "SafeAttachmentPolicy": "Built-In Protection Policy",
                "SafeLinksPolicy": "Built-In Protection Policy",
                "ExceptIfSentTo": None,
                "ExceptIfSentToMemberOf": None,
                "ExceptIfRecipientDomainIs": None,
            }
        ],
        "sharepointTenant": {
            "SharingCapability": 1,
            "OneDriveSharingCapability": 1,
            "DefaultSharingLinkType": 1,
            "DefaultLinkPermission": 1,
            "RequireAnonymousLinksExpireInDays": -1,
            "EmailAttestationRequired": True,
            "EmailAttestationReAuthDays": 30,
        },
    }

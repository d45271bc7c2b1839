"""Scaffold a new policy and its test file (``auditor policies new ID``).

The policy is valid as written (it passes ``auditor policies validate``), so an author starts
from something that loads. Its test cases are *failing until edited*: the passing case expects
``pass`` from an assertion that compares with a ``TODO`` placeholder, so ``auditor test`` shows one
failing case until the author writes the real requirement. A scaffold whose tests passed
unedited could be committed unedited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from auditor.errors import InputError

_ID = re.compile(r"^[A-Z0-9]+([-_][A-Z0-9]+)*(\.[A-Z0-9]+([-_][A-Z0-9]+)*)+$")

_POLICY = """\
id: {id}
title: TODO state the requirement, e.g. "Only admins and guest inviters can invite guests"
severity: medium
description: >-
  TODO what the control checks, in terms of the collection and fields it reads.
rationale: >-
  TODO the risk the control addresses.
remediation: |
  TODO portal steps, then the Graph (or PowerShell) call that fixes it.
references: []
frameworks: {{}}
tags: []
requires: [authorizationPolicy]
params: {{}}
assert: "authorizationPolicy.allowInvitesFrom == 'TODO'"
message: >-
  Guest invitations are allowed from {{{{ authorizationPolicy.allowInvitesFrom }}}}.
"""

_TESTS = """\
# Test cases for {id}: run with `auditor test {policy_file}`.
# Every policy needs a passing, a failing and a missing-data (error) case. The first case fails
# until the policy's assert states the real requirement.
policy: {id}
cases:
  - name: a compliant setting passes
    data:
      authorizationPolicy: {{id: authorizationPolicy, allowInvitesFrom: adminsAndGuestInviters}}
    expect: pass
  - name: a non-compliant setting fails
    data:
      authorizationPolicy: {{id: authorizationPolicy, allowInvitesFrom: everyone}}
    expect: fail
  - name: the collection was not collected, so the result is error, never pass
    data: {{}}
    expect: error
"""


@dataclass(frozen=True)
class Scaffold:
    """The two files to write, with their paths."""

    policy_path: Path
    policy_text: str
    test_path: Path
    test_text: str


def file_stem(policy_id: str) -> str:
    """The file name convention: ``AAD.LEGACY-AUTH.BLOCKED`` → ``aad-legacy-auth-blocked``."""
    return policy_id.lower().replace(".", "-").replace("_", "-")


def scaffold(policy_id: str, folder: Path) -> Scaffold:
    """The scaffold for ``policy_id`` in ``folder``; an invalid ID or an existing file is an input error."""
    if not _ID.match(policy_id):
        raise InputError(
            f"{policy_id!r} is not a policy ID: use upper-case dotted words, "
            "e.g. ORG.GUESTS.INVITE-RESTRICTED",
            source="policies new",
        )
    stem = file_stem(policy_id)
    policy_path = folder / f"{stem}.yaml"
    test_path = folder / f"{stem}.test.yaml"
    for path in (policy_path, test_path):
        if path.exists():
            raise InputError("already exists; choose another ID or --dir", source=str(path))
    return Scaffold(
        policy_path,
        _POLICY.format(id=policy_id),
        test_path,
        _TESTS.format(id=policy_id, policy_file=policy_path.as_posix()),
    )

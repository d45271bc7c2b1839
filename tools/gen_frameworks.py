"""Regenerate ``auditor/data/frameworks/*.json`` from their public sources.

One JSON file per framework version, each naming its source (repository, path, commit, licence)
so that every control ID the library shows can be traced to where it was published:

- ``cis-m365-v7`` and ``cis-m365-v6``: Prowler's CIS compliance files (Apache-2.0), which carry
  each recommendation's ID, section, profile (E3/E5, Level 1/2) and automated/manual status. They
  carry CIS's description but no title, so the short titles come from ``tools/cis_m365_titles.yaml``
  (our own words). There is no CIS v5 file in that source, hence no ``cis-m365-v5``.
- ``cisa-scuba``: the policy headings and statements of ScubaGear's baseline documents (CC0), the
  baseline as section, ScubaGear's "Manual" badge as the manual status.
- ``nist-800-53``: only the controls the built-in policies map (no catalogue is shipped), so its
  coverage is a count of mapped controls, never a ratio.

Usage (the mirrors are local git repositories; nothing is downloaded)::

    python tools/gen_frameworks.py --prowler /work/.mirror/prowler-cloud+prowler/repo \\
        --scubagear /work/.mirror/cisagov+ScubaGear/repo

``--check`` compares instead of writing and exits 1 when a file would change. Without ``--prowler``
or ``--scubagear`` those files are left alone (``nist-800-53`` needs no mirror: after a mapping
change, ``python tools/gen_frameworks.py`` alone refreshes it).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "auditor" / "data" / "frameworks"
PROWLER_COMMIT = "3e000faa3109230b748e4418a13c11c9e59f5cfb"
SCUBA_BASELINES = ("aad", "exo", "powerbi", "powerplatform", "securitysuite", "sharepoint", "teams")
CIS = {
    "cis-m365-v7": ("7.0", "CIS Microsoft 365 Foundations Benchmark v7.0.0", "7.0.0"),
    "cis-m365-v6": ("6.0", "CIS Microsoft 365 Foundations Benchmark v6.0.0", "6.0.0"),
}
#: NIST SP 800-53 Rev. 5 control families, for the section of each mapped control
NIST_FAMILIES = {
    "AC": "Access Control",
    "AT": "Awareness and Training",
    "AU": "Audit and Accountability",
    "CA": "Assessment, Authorization, and Monitoring",
    "CM": "Configuration Management",
    "CP": "Contingency Planning",
    "IA": "Identification and Authentication",
    "IR": "Incident Response",
    "MA": "Maintenance",
    "MP": "Media Protection",
    "PE": "Physical and Environmental Protection",
    "PL": "Planning",
    "PM": "Program Management",
    "PS": "Personnel Security",
    "PT": "PII Processing and Transparency",
    "RA": "Risk Assessment",
    "SA": "System and Services Acquisition",
    "SC": "System and Communications Protection",
    "SI": "System and Information Integrity",
    "SR": "Supply Chain Risk Management",
}


def git_show(repo: Path, commit: str, path: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "show", f"{commit}:{path}"], check=True, capture_output=True, text=True
    ).stdout


def natural(text: str) -> list[Any]:
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text)]


def cis_framework(prowler: Path, key: str, titles: dict[str, dict[str, str]]) -> dict[str, Any]:
    file_version, title, version = CIS[key]
    path = f"prowler/compliance/m365/cis_{file_version}_m365.json"
    doc = json.loads(git_show(prowler, PROWLER_COMMIT, path))
    if not str(doc.get("Name", "")).endswith(f"v{version}"):
        raise SystemExit(f"{path}: expected {title}, found {doc.get('Name')!r}")
    own = titles["v7"] | (titles.get("v6") or {} if key == "cis-m365-v6" else {})
    controls = []
    for req in doc["Requirements"]:
        attrs = req["Attributes"][0]
        cid = str(req["Id"])
        if cid not in own:
            raise SystemExit(f"tools/cis_m365_titles.yaml: no title for {key} {cid}")
        profile = str(attrs["Profile"])
        controls.append(
            {
                "id": cid,
                "title": own[cid],
                "section": str(attrs["SubSection"] or attrs["Section"]),
                "profile": profile,
                "level": int(profile[-1]),
                "automated": attrs["AssessmentStatus"] == "Automated",
            }
        )
    return {
        "key": key,
        "title": title,
        "version": version,
        "complete": True,
        "source": {
            "repository": "prowler-cloud/prowler",
            "path": path,
            "commit": PROWLER_COMMIT,
            "licence": "Apache-2.0",
            "note": "IDs, sections, profiles and automated/manual status from the source; titles are ours",
        },
        "controls": sorted(controls, key=lambda c: natural(c["id"])),
    }


_HEADING = re.compile(r"^#### (MS\.[A-Z]+\.\d+\.\d+v\d+)\s*$")


def scuba_framework(scubagear: Path) -> dict[str, Any]:
    commit = subprocess.run(
        ["git", "-C", str(scubagear), "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()
    manifest = git_show(scubagear, commit, "PowerShell/ScubaGear/ScubaGear.psd1")
    module_version = re.search(r"ModuleVersion\s*=\s*'([^']+)'", manifest)
    version = module_version.group(1) if module_version else "?"
    controls = []
    for name in SCUBA_BASELINES:
        lines = git_show(scubagear, commit, f"PowerShell/ScubaGear/baselines/{name}.md").splitlines()
        product = next(ln for ln in lines if ln.startswith("# ")).removeprefix("# ")
        product = product.removeprefix("CISA M365 Secure Configuration ").removeprefix("Baseline for ")
        product = product.removesuffix(" Baseline").strip()
        for i, line in enumerate(lines):
            match = _HEADING.match(line)
            if not match:
                continue
            statement: list[str] = []
            j = i + 1
            while j < len(lines) and lines[j].strip() and not lines[j].startswith("["):
                statement.append(lines[j].strip())
                j += 1
            block = []
            while j < len(lines) and not lines[j].startswith("#"):
                block.append(lines[j])
                j += 1
            text = " ".join(statement)
            controls.append(
                {
                    "id": match.group(1),
                    "title": text,
                    "section": product,
                    "automated": "badge/Manual-" not in "\n".join(block),
                }
            )
    return {
        "key": "cisa-scuba",
        "title": f"CISA SCuBA Secure Configuration Baselines for Microsoft 365 (ScubaGear {version})",
        "version": version,
        "complete": True,
        "source": {
            "repository": "cisagov/ScubaGear",
            "path": "PowerShell/ScubaGear/baselines/{" + ",".join(SCUBA_BASELINES) + "}.md",
            "commit": commit,
            "licence": "CC0-1.0",
            "note": "each policy's ID and statement; section is the product baseline",
        },
        "controls": controls,
    }


def nist_framework() -> dict[str, Any]:
    ids: set[str] = set()
    for path in sorted((ROOT / "policies").rglob("*.yaml")):
        if path.name.endswith(".test.yaml"):
            continue
        doc = yaml.safe_load(path.read_text("utf-8")) or {}
        ids.update(str(c) for c in ((doc.get("frameworks") or {}).get("nist-800-53") or ()))
    controls = [{"id": cid, "section": NIST_FAMILIES[cid.split("-")[0]]} for cid in sorted(ids, key=natural)]
    return {
        "key": "nist-800-53",
        "title": "NIST SP 800-53 Rev. 5 (the controls the library maps)",
        "version": "5.1.1",
        "complete": False,
        "source": {
            "repository": "",
            "path": "",
            "commit": "",
            "licence": "public domain (US government work)",
            "url": "https://csrc.nist.gov/pubs/sp/800/53/r5/upd1/final",
            "note": "only the controls the built-in policies map; coverage is their count, not a ratio",
        },
        "controls": controls,
    }


def render(doc: dict[str, Any]) -> str:
    """Indented JSON with one control per line: diffs of a regenerated file stay readable."""
    head = json.dumps({k: v for k, v in doc.items() if k != "controls"}, indent=1, ensure_ascii=False)
    rows = ",\n".join("  " + json.dumps(c, ensure_ascii=False) for c in doc["controls"])
    return head[:-2] + ',\n "controls": [\n' + rows + "\n ]\n}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prowler", type=Path, help="git repository of prowler-cloud/prowler (CIS files)")
    parser.add_argument("--scubagear", type=Path, help="git repository of cisagov/ScubaGear (SCuBA file)")
    parser.add_argument("--check", action="store_true", help="exit 1 if a generated file would change")
    args = parser.parse_args(argv)
    titles = yaml.safe_load((ROOT / "tools" / "cis_m365_titles.yaml").read_text("utf-8"))
    # without a mirror, its files are left as they are: the NIST list (from the policies alone)
    # can be refreshed after a mapping change with no mirror at hand
    docs = [cis_framework(args.prowler, key, titles) for key in CIS] if args.prowler else []
    docs += [scuba_framework(args.scubagear)] if args.scubagear else []
    docs.append(nist_framework())
    OUT.mkdir(parents=True, exist_ok=True)
    stale = []
    for doc in docs:
        path = OUT / f"{doc['key']}.json"
        text = render(doc)
        if args.check:
            if not path.exists() or path.read_text("utf-8") != text:
                stale.append(path.name)
        else:
            path.write_text(text, encoding="utf-8")
        print(f"{doc['key']}: {len(doc['controls'])} controls")
    if stale:
        print(f"out of date: {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

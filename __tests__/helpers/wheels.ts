// Tiny pure-Python wheels made on the spot (a module, METADATA, WHEEL, a hashed RECORD), served
// with --find-links: several versions of one package for dependency-bump tests, offline.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';

export interface WheelSpec {
  name: string;
  version: string;
  /** Requires-Dist lines, e.g. ['bump-probe-dep>=1']. */
  requires?: string[];
}

const BUILD = `
import base64, hashlib, json, os, sys, zipfile
out, specs = sys.argv[1], json.loads(sys.argv[2])
for spec in specs:
    dist = spec["name"].replace("-", "_")
    info = f"{dist}-{spec['version']}.dist-info"
    files = {
        f"{dist}.py": f"VERSION = {spec['version']!r}\\n",
        f"{info}/METADATA": "Metadata-Version: 2.1\\nName: %s\\nVersion: %s\\n%s" % (
            spec["name"], spec["version"],
            "".join("Requires-Dist: %s\\n" % r for r in spec.get("requires", []))),
        f"{info}/WHEEL": "Wheel-Version: 1.0\\nGenerator: setup-django-tests\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
    }
    record = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(text.encode())}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = "\\n".join(record) + "\\n"
    path = os.path.join(out, f"{dist}-{spec['version']}-py3-none-any.whl")
    with zipfile.ZipFile(path, "w") as whl:
        for name, text in files.items():
            whl.writestr(name, text)
`;

/** Writes one wheel per spec into `dir` (created if needed); returns `dir`. */
export function buildWheels(dir: string, specs: WheelSpec[]): string {
  mkdirSync(dir, { recursive: true });
  execFileSync('python3', ['-c', BUILD, dir, JSON.stringify(specs)]);
  return dir;
}

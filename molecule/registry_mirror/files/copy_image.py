"""Copy one image between two registries over the registry API, blob by blob, skipping what the
destination holds: the scenario's second upstream gets the rig's test image without a Docker
engine. Prints "copied" when it copied anything. Usage: copy_image.py SRC DST REPOSITORY TAG"""

import json
import sys
import urllib.error
import urllib.parse
import urllib.request

TYPES = "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json"


def call(method, url, data=None, headers=None):
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=300) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def main(source, destination, repository, tag):
    status, headers, manifest = call("GET", f"{source}/v2/{repository}/manifests/{tag}", headers={"Accept": TYPES})
    if status != 200:
        sys.exit(f"{source}: manifest of {repository}:{tag} answered {status}")
    content = json.loads(manifest)
    copied = False
    for digest in [content["config"]["digest"], *(layer["digest"] for layer in content["layers"])]:
        if call("HEAD", f"{destination}/v2/{repository}/blobs/{digest}")[0] == 200:
            continue
        status, _, blob = call("GET", f"{source}/v2/{repository}/blobs/{digest}")
        if status != 200:
            sys.exit(f"{source}: blob {digest} answered {status}")
        status, answer, _ = call("POST", f"{destination}/v2/{repository}/blobs/uploads/", data=b"")
        if status != 202:
            sys.exit(f"{destination}: starting an upload answered {status}")
        location = urllib.parse.urljoin(destination, answer["Location"])
        separator = "&" if "?" in location else "?"
        status = call("PUT", f"{location}{separator}digest={digest}", data=blob,
                      headers={"Content-Type": "application/octet-stream"})[0]
        if status != 201:
            sys.exit(f"{destination}: uploading {digest} answered {status}")
        copied = True
    status, _, present = call("GET", f"{destination}/v2/{repository}/manifests/{tag}", headers={"Accept": TYPES})
    if status != 200 or present != manifest:
        media_type = content.get("mediaType", "application/vnd.docker.distribution.manifest.v2+json")
        status = call("PUT", f"{destination}/v2/{repository}/manifests/{tag}", data=manifest,
                      headers={"Content-Type": media_type})[0]
        if status != 201:
            sys.exit(f"{destination}: the manifest answered {status}")
        copied = True
    print("copied" if copied else "already there")


if __name__ == "__main__":
    main(*sys.argv[1:5])
